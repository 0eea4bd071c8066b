import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Llama2cTokenizer } from '../../../lib/tokenizer/index.js';
import { parseLlama2cVocab } from '../../../lib/tokenizer/llama2cVocab.js';

/** Serialises pieces in llama2.c's tokenizer layout (after the three specials it adds itself). */
function llama2cBytes(pieces: [text: string, score: number][], withBytePieces: boolean): Uint8Array {
  const all: [string, number][] = [['<unk>', 0], ['\n<s>\n', 0], ['\n</s>\n', 0]];
  if (withBytePieces) {
    for (let b = 0; b < 256; b++) all.push([`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, 0]);
  }
  all.push(...pieces);
  const enc = new TextEncoder();
  const blobs = all.map(([t]) => enc.encode(t));
  const out = new Uint8Array(4 + blobs.reduce((n, b) => n + 8 + b.length, 0));
  const view = new DataView(out.buffer);
  view.setInt32(0, Math.max(...blobs.map((b) => b.length)), true);
  let off = 4;
  all.forEach(([, score], i) => {
    const blob = blobs[i] as Uint8Array;
    view.setFloat32(off, score, true);
    view.setInt32(off + 4, blob.length, true);
    out.set(blob, off + 8);
    off += 8 + blob.length;
  });
  return out;
}

const tiny = suite('bpeEncode :: synthetic vocabularies');
tiny('should merge the leftmost pair when scores tie', () => {
  const tok = Llama2cTokenizer.fromBytes(llama2cBytes([[' ', -1], ['a', -2], ['aa', -3]], true), 'tie.bin');
  // ids: " " 259, "a" 260, "aa" 261. " aaa" -> " " + "aa" + "a", not " " + "a" + "aa".
  assert.equal(tok.encode('aaa', { addBos: false }), [259, 261, 260]);
});
tiny('should prefer the higher score over position', () => {
  const bytes = llama2cBytes([[' ', -1], ['a', -2], ['b', -3], ['ab', -10], ['bb', -4]], true);
  const tok = Llama2cTokenizer.fromBytes(bytes, 'score.bin');
  // " abb": "ab" (-10) is left of "bb" (-4), but "bb" wins: " " "a" "bb".
  assert.equal(tok.encode('abb', { addBos: false }), [259, 260, 263]);
});
tiny('should merge through a character that is only inside a piece :: sentencepiece order', () => {
  // "é" is not a piece of its own, but "aé" is. SentencePiece merges first and falls back to bytes
  // last, giving " " + "aé"; run.c, falling back first, would give " " "a" <C3> <A9>.
  const bytes = llama2cBytes([[' ', -1], ['a', -2], ['aé', -3]], true);
  assert.is(parseLlama2cVocab(bytes, 'open.bin').pairs.closed, false);
  const tok = Llama2cTokenizer.fromBytes(bytes, 'open.bin');
  assert.equal(tok.encode('aé', { addBos: false }), [259, 261]);
  assert.equal(tok.encode('é', { addBos: false }), [259, 0xc3 + 3, 0xa9 + 3]);
  assert.is(tok.decode(tok.encode('aéé')), 'aéé');
});
tiny('should use one <unk> per unknown character without byte pieces', () => {
  const tok = Llama2cTokenizer.fromBytes(llama2cBytes([[' ', -1], ['a', -2]], false), 'nobytes.bin');
  assert.equal(tok.encode('a\u4e2da', { addBos: false }), [3, 4, 0, 4]);
  assert.is(tok.decode([3, 4, 0, 4]), 'a \u2047 a');
});
tiny('should handle astral-plane characters and lone surrogates', () => {
  const tok = Llama2cTokenizer.fromBytes(llama2cBytes([[' ', -1], ['🦙', -2], [' 🦙', -3]], true), 'astral.bin');
  assert.equal(tok.encode('🦙🦙', { addBos: false }), [261, 260]);
  assert.equal(tok.encode('\uDC00', { addBos: false }), [259, 0xef + 3, 0xbf + 3, 0xbd + 3]); // U+FFFD bytes
});
tiny.run();
