/** C++: `g++ -std=c++11` (the HumanEval-X reference's standard) into `./main`, then `./main`. */
import type { LanguageSpec } from './languageSpec.js';
import { binToolchain } from './locate.js';

const SOURCE = /\.(?:cpp|cc|cxx|c\+\+)$/;

/** C++ with the g++ on PATH. */
export const cpp: LanguageSpec = {
  language: 'cpp',
  defaultFile: 'main.cpp',
  tool: 'g++',
  locate: () => binToolchain('cpp', ['g++']),
  check: (ctx) => [ctx.program('g++'), '--version'],
  compile: (ctx) => [
    ctx.program('g++'),
    '-std=c++11',
    '-o',
    'main',
    ...ctx.files.filter((file) => SOURCE.test(file)),
    ...ctx.linkLibraries.map((lib) => `-l${lib}`),
  ],
  run: () => ['./main'],
};
