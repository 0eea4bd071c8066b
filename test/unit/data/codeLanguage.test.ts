import { readFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { CODE_LANGUAGES, codeLanguage, type CodeLanguage } from '../../../lib/data/index.js';
import { DATASETS } from './_support.js';
import { datasets, when } from '../../helpers/requirements.js';

const rec = (instruction: string, output = '', input = '') => ({ instruction, input, output });

const rule = suite('codeLanguage :: hand-written examples');
const cases: [name: string, record: ReturnType<typeof rec>, expected: CodeLanguage][] = [
  // 1. names in the instruction
  ['in Python', rec('Reverse a string in Python.'), 'Python'],
  ['Java program', rec('Write a Java program that prints 1..10.'), 'Java'],
  ['JavaScript is not Java', rec('Write a JavaScript function to sum an array.'), 'JavaScript'],
  ['Node.js', rec('Build a web server with Node.js.'), 'JavaScript'],
  ['C++', rec('Implement a stack in C++.'), 'C++'],
  ['C#', rec('Write a C# method that parses a date.'), 'C#'],
  ['C program', rec('Write a C program that reads a file.'), 'C'],
  ['Objective-C is not C', rec('Construct an Objective-C program to check a palindrome.', 'int isPalindrome(int n) {'), 'other'],
  ['SQL query', rec('Write an SQL query that counts orders.'), 'SQL'],
  ['Bash', rec('Create a Bash script that lists files.'), 'Shell'],
  ['shell script', rec('Implement a basic shell script that prints the date.'), 'Shell'],
  ['PHP', rec('Create a PHP function to reverse a string.'), 'PHP'],
  ['Ruby', rec('Write a Ruby method that squares a number.'), 'Ruby'],
  ['Go', rec('Write a Go program to add two numbers.'), 'Go'],
  ['"go through" is not Go', rec('Go through the list and print each item.', 'for item in items:\n    print(item)'), 'Python'],
  ['Rust', rec('Implement FizzBuzz in Rust.'), 'Rust'],
  ['Swift', rec('Write a Swift function that doubles a number.'), 'Swift'],
  ['Kotlin', rec('Write a Kotlin data class for a user.'), 'Kotlin'],
  ['R', rec('Write an R function to compute the mean.'), 'R'],
  ['HTML/CSS', rec('Write HTML to show a table.'), 'HTML/CSS'],
  ['embedded SQL yields to the host', rec('Write a PHP script to connect to a MySQL database.'), 'PHP'],
  ['embedded HTML yields to the host', rec('Write a JavaScript function that sets an HTML element text.'), 'JavaScript'],
  ['translation: output decides', rec('Convert the following Python code to C++.', '#include <iostream>\nint main() {}'), 'C++'],
  ['two names, no shape: first named', rec('Explain the differences between Java and JavaScript.', 'Java is compiled...'), 'Java'],
  ['unlisted language', rec('Write a Haskell function that sums a list.', 'import Data.List\nsumList :: [Int] -> Int'), 'other'],
  // 2. code shape of the output
  ['def → Python', rec('Write a function to add two numbers.', 'def add(a, b):\n    return a + b'), 'Python'],
  ['import → Python', rec('Load a CSV file.', 'import csv\nrows = list(csv.reader(open("f.csv")))'), 'Python'],
  ['#include <stdio.h> → C', rec('Print hello.', '#include <stdio.h>\nint main(void) { puts("hi"); }'), 'C'],
  ['#include <iostream> → C++', rec('Print hello.', '#include <iostream>\nint main() { std::cout << "hi"; }'), 'C++'],
  ['public static void → Java', rec('Print hello.', 'public class A {\n  public static void main(String[] a) {}\n}'), 'Java'],
  ['Console.WriteLine → C#', rec('Print hello.', 'using System;\nConsole.WriteLine("hi");'), 'C#'],
  ['SELECT ... FROM → SQL', rec('Find the oldest employee.', 'SELECT name\nFROM employees\nORDER BY age DESC LIMIT 1;'), 'SQL'],
  ['function → JavaScript', rec('Sum an array.', 'function sum(a) { return a.reduce((x, y) => x + y, 0); }'), 'JavaScript'],
  ['const/=> → JavaScript', rec('Double each item.', 'const doubled = items.map(x => x * 2);'), 'JavaScript'],
  ['<?php → PHP', rec('Print the date.', '<?php echo date("Y"); ?>'), 'PHP'],
  ['fn main → Rust', rec('Print hello.', 'fn main() {\n    println!("hi");\n}'), 'Rust'],
  ['package + func → Go', rec('Print hello.', 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hi") }'), 'Go'],
  ['#!/bin/bash → Shell', rec('List files.', '#!/bin/bash\nls -la'), 'Shell'],
  ['def ... end → Ruby', rec('Square a number.', 'def square(x)\n  x * x\nend'), 'Ruby'],
  ['<div> → HTML/CSS', rec('Make a box.', '<div class="box">Hi</div>'), 'HTML/CSS'],
  // 3. the input; 4. other
  ['code in the input', rec('What does this code print?', '3', 'def f():\n    return 3\nprint(f())'), 'Python'],
  ['prose → other', rec('Explain what an API is.', 'An API is a set of rules that lets programs talk to each other.'), 'other'],
];
for (const [name, record, expected] of cases) {
  rule(`should label ${expected} :: ${name}`, () => {
    assert.is(codeLanguage(record), expected);
  });
}
rule('should only return listed labels', () => {
  for (const [, record] of cases) assert.ok(CODE_LANGUAGES.includes(codeLanguage(record)));
});
rule.run();

// ---

/** Label counts of a Code Alpaca file, printed so the distribution shows in the test output. */
function distribution(file: string): { total: number; counts: Map<CodeLanguage, number> } {
  const rows = JSON.parse(readFileSync(path.join(DATASETS, 'codealpaca', file), 'utf8')) as ReturnType<typeof rec>[];
  const counts = new Map<CodeLanguage, number>();
  for (const r of rows) counts.set(codeLanguage(r), (counts.get(codeLanguage(r)) ?? 0) + 1);
  const sorted = [...counts].sort((a, b) => b[1] - a[1]);
  console.log(`\n  ${file} (${rows.length} rows): ${sorted.map(([l, c]) => `${l} ${c}`).join(', ')}`);
  return { total: rows.length, counts };
}

const measured = when(datasets('codealpaca'), suite('codeLanguage :: measured on Code Alpaca'));
measured('should spread new_codealpaca.json over several large languages', () => {
  const { total, counts } = distribution('new_codealpaca.json');
  assert.is(total, 4_535);
  for (const lang of ['Python', 'JavaScript', 'C++', 'Java', 'Shell'] as const) {
    assert.ok(counts.get(lang)! >= 500, `${lang}: ${counts.get(lang)}`);
  }
  for (const lang of ['C#', 'PHP'] as const) assert.ok(counts.get(lang)! >= 100, `${lang}: ${counts.get(lang)}`);
  assert.ok((counts.get('other') ?? 0) < total * 0.01, `other: ${counts.get('other')}`);
});
measured('should leave other a minority on code_alpaca_2k.json', () => {
  const { total, counts } = distribution('code_alpaca_2k.json');
  assert.is(total, 2_017);
  for (const lang of ['Python', 'JavaScript', 'SQL', 'Java', 'HTML/CSS'] as const) {
    assert.ok(counts.get(lang)! >= 100, `${lang}: ${counts.get(lang)}`);
  }
  // The 2k sample holds many language-free prose tasks ("Explain ...", "Find the smallest prime ...").
  assert.ok(counts.get('other')! < total * 0.2, `other: ${counts.get('other')}`);
  assert.ok(counts.get('other')! < counts.get('Python')!);
});
measured.run();
