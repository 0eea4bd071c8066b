import { Model, TrainSession, collate, readInstructions, tokenizeInstruction } from './lib/index.ts';
const m = await Model.load('/work/main/assets/stories260K/stories260K.bin');
const recs = await readInstructions('/work/main/assets/data/dolly-sample.jsonl', { input: 'context', output: 'response' });
const ex = recs.map(r => tokenizeInstruction(m.tokenizer!, r, 256)!).filter(Boolean);
const b = collate(ex.slice(0, 8), 0);
for (let i = 0; i < 4; i++) { const t = performance.now(); await m.evalLoss([b]); console.log('eval', (performance.now()-t).toFixed(1)); }
for (let i = 0; i < 3; i++) { const t = performance.now(); await m.logits(b); console.log('logits', (performance.now()-t).toFixed(1)); }
await m.attachLora({ r: 8, targets: ['q_proj','v_proj'] });
const s = await TrainSession.create(m);
for (let i = 0; i < 4; i++) { const t = performance.now(); const r = await s.trainStep(b, { lr: 1e-3 }); console.log('train', (performance.now()-t).toFixed(1)); }
