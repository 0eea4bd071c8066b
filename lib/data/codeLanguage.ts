import type { InstructionRecord } from './instruction.js';

/**
 * Guesses the programming language of a Code Alpaca record, so that the meta and Dirichlet splitters
 * have a `category` (our copies of Code Alpaca carry no language field; FS-LLM's Fed-CodeAlpaca
 * `rosetta_alpaca.json` did, which we do not have).
 */

/** Every label {@link codeLanguage} can return. */
export const CODE_LANGUAGES = [
  'Python', 'Java', 'JavaScript', 'TypeScript', 'C', 'C++', 'C#', 'Go', 'Rust', 'Swift', 'Kotlin',
  'Ruby', 'PHP', 'R', 'Shell', 'SQL', 'HTML/CSS', 'other',
] as const;

export type CodeLanguage = (typeof CODE_LANGUAGES)[number];

// Explicit names. Case-sensitive where the name is also an English word or letter (C, R, Go).
const MENTIONS: readonly [CodeLanguage, RegExp][] = [
  ['Python', /\bpython\b/i],
  ['Java', /\bjava\b(?!\s*script)/i],
  ['JavaScript', /\bjavascript\b|\bnode\.?js\b|\bjs\b|\breact\b|\bjquery\b/i],
  ['TypeScript', /\btypescript\b/i],
  ['C++', /\bc\+\+|\bcpp\b/i],
  ['C#', /\bc#|\bc sharp\b|\.net\b/i],
  ['C', /(?<![-\w])C\b(?![+#])/],
  ['Go', /\bgolang\b|(?<!\w)Go\b(?!\s+(?:through|over|back|to|ahead)\b)/i],
  ['Rust', /\brust\b/i],
  ['Swift', /\bswift\b/i],
  ['Kotlin', /\bkotlin\b/i],
  ['Ruby', /\bruby\b|\brails\b/i],
  ['PHP', /\bphp\b/i],
  ['R', /(?<![-\w'])R\b(?![-'])/],
  ['Shell', /\bbash\b|\bshell\b|\bzsh\b|\bunix command|\blinux command/i],
  ['SQL', /\bsql\b|\bmysql\b|\bpostgres(?:ql)?\b|\bsqlite\b|\bsql query\b/i],
  ['HTML/CSS', /\bhtml\d?\b|\bcss\d?\b/i],
  // Languages without a label of their own, named so their code is not taken for a listed one.
  ['other', /\b(?:haskell|scala|perl|powershell|objective-c|lua|julia|matlab|fortran|dart|elixir|clojure|erlang|cobol|pascal|f#)\b/i],
];

// Languages usually embedded in another one (a PHP script that queries MySQL and prints HTML).
const EMBEDDED: readonly CodeLanguage[] = ['SQL', 'HTML/CSS'];

// Code-shape cues, tried in this order; the first that matches wins.
const SHAPES: readonly [CodeLanguage, RegExp][] = [
  ['PHP', /<\?php/],
  ['HTML/CSS', /^\s*(?:<!DOCTYPE html|<html\b)/i],
  ['C++', /#include\s*<(?:iostream|vector|string|map|algorithm|fstream|sstream)>|\bstd::|\bcout\s*<</],
  ['C', /#include\s*[<"]/],
  ['C#', /\busing System\b|\bConsole\.Write(?:Line)?\(/],
  ['Java', /\bpublic static void\b|\bSystem\.out\.print|\bpublic class\b/],
  ['Rust', /\bfn main\s*\(|\blet mut\b|\bfn \w+\s*\([^)]*\)\s*->|\bprintln!\(/],
  ['Go', /^\s*package \w+[\s\S]*\bfunc /m],
  ['Kotlin', /\bfun main\s*\(|^\s*fun \w+\(.*\)\s*[:{=]/m],
  ['Swift', /\bimport (?:Foundation|UIKit|SwiftUI)\b|^\s*func \w+\(.*\)\s*(?:->\s*\w+\s*)?\{/m],
  ['Shell', /^#!\/(?:usr\/)?bin\/(?:env )?(?:ba|z)?sh\b/m],
  ['SQL', /^\s*(?:SELECT\b[\s\S]*\bFROM\b|INSERT INTO\b|UPDATE \w+\s+SET\b|CREATE TABLE\b|DELETE FROM\b)/im],
  ['Python', /^\s*def \w+\(.*\)\s*(?:->.*)?:\s*$|^\s*(?:from [\w.]+ )?import [\w.]+(?:\s+as \w+)?\s*$|^\s*print\(|^\s*class \w+(?:\(.*\))?:\s*$|^\s*for \w+(?:, \w+)* in .+:\s*$|\[[^\]\n]+ for \w+ in [^\]\n]+\]|\b(?:range|len)\(/m],
  ['Ruby', /^\s*def \w+[^:\n]*$[\s\S]*^\s*end\s*$|^\s*puts\b/m],
  ['JavaScript', /\bconsole\.log\(|\bfunction\s*\w*\s*\(|^\s*(?:const|let|var) \w+\s*=|=>|\bdocument\.\w/m],
  ['R', /<-\s*(?:function|c)\(/],
  ['HTML/CSS', /<(?:div|body|head|table|form|ul|p|span|button|input)\b[^>]*>|^\s*[.#]?[\w-]+\s*\{\s*$[\s\S]*:\s*[^;]+;/im],
];

/**
 * The programming language of a code instruction record, or `'other'`. The rule, in order:
 * 1. **Names in the instruction** ("in Python", "Java program", "C++", "C#", "JavaScript"/"Node.js",
 *    "SQL query", "Bash"/"shell script", "PHP", "Ruby", "Go", "Rust", "Swift", "Kotlin", "R",
 *    "HTML/CSS"; Haskell, Scala, Perl, PowerShell, Objective-C, ... name `'other'`). C, R and Go match only capitalised, as words. SQL and HTML/CSS are dropped when
 *    another language is named too (they are usually embedded in it). One name left → that language;
 *    several ("convert this Java to C++") → the one the output's code shape (step 2) agrees with, else
 *    the first named.
 * 2. **Code shape of the output**, first cue wins: `<?php` → PHP; a leading `<!DOCTYPE html`/`<html` →
 *    HTML/CSS; `#include` with C++ headers, `std::` or `cout <<` → C++; other `#include` → C;
 *    `using System`/`Console.WriteLine` → C#; `public static void`/`System.out.print` → Java;
 *    `fn main`/`let mut`/`println!` → Rust; `package` then `func` → Go; `fun main` → Kotlin;
 *    `import Foundation`/`func f() {` → Swift; a `#!/bin/sh` line → Shell; a statement starting
 *    `SELECT ... FROM`/`INSERT INTO`/`CREATE TABLE` → SQL; `def f():`, `import x`, `print(`, `for x in y:`, list
 *    comprehensions, `range(`/`len(` → Python;
 *    `def` ... `end`/`puts` → Ruby; `console.log`, `function`, `const x =`, `=>` → JavaScript;
 *    `<- function(` → R; HTML tags or CSS rules → HTML/CSS.
 * 3. The same code-shape cues on the **input** (e.g. "fix this code" with the code as input).
 * 4. Otherwise `'other'` (prose answers, pseudo-code, languages not listed).
 *
 * Measured on new_codealpaca.json and code_alpaca_2k.json in test/unit/data/codeLanguage.test.ts.
 */
export function codeLanguage(record: Pick<InstructionRecord, 'instruction' | 'input' | 'output'>): CodeLanguage {
  const shape = shapeOf(record.output);
  let named = MENTIONS.filter(([, re]) => re.test(record.instruction)).map(([lang]) => lang);
  if (named.some((lang) => !EMBEDDED.includes(lang))) named = named.filter((lang) => !EMBEDDED.includes(lang));
  if (named.length === 1) return named[0]!;
  if (named.length > 1) {
    if (shape !== null && named.includes(shape)) return shape;
    const at = (lang: CodeLanguage) => record.instruction.search(MENTIONS.find(([l]) => l === lang)![1]);
    return named.reduce((first, lang) => (at(lang) < at(first) ? lang : first));
  }
  return shape ?? shapeOf(record.input) ?? 'other';
}

function shapeOf(text: string): CodeLanguage | null {
  if (text === '') return null;
  return SHAPES.find(([, re]) => re.test(text))?.[0] ?? null;
}
