/** Every language the sandbox runs, by name. */
import type { SandboxLanguage } from '../types.js';
import { cpp } from './cpp.js';
import { go } from './go.js';
import { java } from './java.js';
import { js } from './js.js';
import type { LanguageSpec } from './languageSpec.js';
import { python } from './python.js';
import { rust } from './rust.js';

/** Language name to its spec. */
export const LANGUAGES: Readonly<Record<SandboxLanguage, LanguageSpec>> = Object.freeze({ python, js, cpp, go, java, rust });

export type { LanguageSpec, StepContext, Toolchain } from './languageSpec.js';
