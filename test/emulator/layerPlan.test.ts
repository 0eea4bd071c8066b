import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { InvalidArgumentError, type FsllmError } from '../../lib/errors/index.js';
import { planEmulator, type EmulatorPlan, type EmulatorPlanOptions } from '../../lib/emulator/index.js';

/** FS-LLM `model_drop_layer` (offsite_tuning/utils.py), re-stated: round(), float stride, int(). */
function fsllmKept(m: number, drop: number): number[] {
  const count = pyRound(m * (1 - drop));
  const stride = (m - 1) / (count - 1);
  return Array.from({ length: count }, (_, i) => Math.trunc(i * stride));
}

function pyRound(x: number): number {
  const f = Math.floor(x);
  if (x - f !== 0.5) return Math.round(x);
  return f % 2 === 0 ? f : f + 1;
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

function throwsInvalid(options: unknown, pattern: RegExp): void {
  try {
    planEmulator(options as EmulatorPlanOptions);
  } catch (error) {
    assert.instance(error, InvalidArgumentError);
    assert.is((error as FsllmError).code, 'ERR_FSLLM_INVALID_ARG');
    assert.match((error as Error).message, pattern);
    return;
  }
  assert.unreachable(`should throw for ${JSON.stringify(options)}`);
}

/** Invariants every plan must hold. */
function checkPlan(plan: EmulatorPlan): void {
  const [l, r] = plan.emulatorRange;
  const m = r - l;
  const { emulator: e } = plan;
  assert.is(e[0], l, 'first emulated block kept');
  if (e.length > 1) assert.is(e.at(-1), r - 1, 'last emulated block kept');
  const gaps = e.slice(1).map((v, i) => v - e[i]!);
  assert.ok(gaps.every((g) => g >= 1), 'strictly increasing');
  if (gaps.length > 0) assert.ok(Math.max(...gaps) - Math.min(...gaps) <= 1, `uniform gaps ${gaps}`);
  assert.is(e.length, Math.floor((1 - plan.dropRate) * m + 1e-9));
  assert.equal([...plan.layout, ...plan.dropped].sort((a, b) => a - b), range(0, plan.numLayers));
  assert.equal(plan.layout, [...plan.layout].sort((a, b) => a - b));
  assert.equal(plan.emulatorLayersInModel.map((k) => plan.layout[k]), e);
  assert.equal(plan.adapterLayersInModel.map((k) => plan.layout[k]), plan.adapter);
  assert.is(plan.studentTap, l + e.length);
  assert.is(plan.teacherTap, r);
  assert.is(plan.layout[plan.studentTap - 1], e.at(-1));
}

// ---

const fedbiot = suite('planEmulator :: fedbiot');

fedbiot('should match FedBiOT Table 5 (n = 32)', () => {
  const count = (s: number, beta: number) => planEmulator({ algorithm: 'fedbiot', numLayers: 32, adapterLayers: s, dropRate: beta }).emulator.length;
  assert.is(count(2, 0.2), 24);
  assert.is(count(4, 0.2), 22);
  assert.is(count(2, 0.5), 15);
  assert.is(count(4, 0.5), 14);
});

fedbiot('should put the adapter on top and the emulator below it', () => {
  const plan = planEmulator({ algorithm: 'fedbiot', numLayers: 5, adapterLayers: 1, dropRate: 0.5 });
  assert.equal(plan.adapter, [4]);
  assert.equal(plan.emulator, [0, 3]);
  assert.equal(plan.dropped, [1, 2]);
  assert.equal(plan.layout, [0, 3, 4]);
  assert.equal(plan.emulatorLayersInModel, [0, 1]);
  assert.equal(plan.adapterLayersInModel, [2]);
  assert.is(plan.studentTap, 2);
  assert.is(plan.teacherTap, 4);
});

fedbiot('should keep every block with dropRate 0 and only the first when one survives', () => {
  assert.equal(planEmulator({ algorithm: 'fedbiot', numLayers: 6, adapterLayers: 2, dropRate: 0 }).layout, range(0, 6));
  assert.equal(planEmulator({ algorithm: 'fedbiot', numLayers: 6, adapterLayers: 2, dropRate: 0.7 }).emulator, [0]);
});

fedbiot('should hold the invariants for every (n, s, beta) :: property', () => {
  let plans = 0;
  for (let n = 2; n <= 40; n++) {
    for (let s = 1; s < n; s++) {
      for (const beta of [0, 0.1, 0.2, 0.25, 0.3, 0.5, 0.75, 0.9]) {
        if (Math.floor((1 - beta) * (n - s) + 1e-9) < 1) continue;
        const plan = planEmulator({ algorithm: 'fedbiot', numLayers: n, adapterLayers: s, dropRate: beta });
        checkPlan(plan);
        assert.equal(plan.adapter, range(n - s, n));
        plans++;
      }
    }
  }
  assert.ok(plans > 3000);
});

fedbiot('should pick the blocks FedBiOT code picks for its shipped yamls, except adpt4 dp3', () => {
  const differ: string[] = [];
  for (const emuR of [30, 28]) {
    for (const beta of [0, 0.1, 0.2, 0.3, 0.5]) {
      const ours = planEmulator({ algorithm: 'fedbiot', numLayers: 32, adapterLayers: 32 - emuR, dropRate: beta }).emulator;
      const theirs = planEmulator({ algorithm: 'fedbiot', numLayers: 32, adapterLayers: 32 - emuR, dropRate: beta, rounding: 'fsllm' }).emulator;
      assert.equal(theirs, fsllmKept(emuR, beta));
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) differ.push(`${emuR}/${beta}`);
    }
  }
  assert.equal(differ, ['28/0.3']); // 19.6 layers: floor keeps 19, round() 20
});

fedbiot('should reject bad options naming the option and the FS-LLM key', () => {
  throwsInvalid({ algorithm: 'fedbiot', numLayers: 5, adapterLayers: 0, dropRate: 0.5 }, /\[1, 4\].*options\.adapterLayers \(numLayers − llm\.offsite_tuning\.emu_r\)/);
  throwsInvalid({ algorithm: 'fedbiot', numLayers: 5, adapterLayers: 5, dropRate: 0.5 }, /options\.adapterLayers/);
  throwsInvalid({ algorithm: 'fedbiot', numLayers: 5, adapterLayers: 1.5, dropRate: 0.5 }, /options\.adapterLayers/);
  throwsInvalid({ algorithm: 'fedbiot', numLayers: 5, adapterLayers: 1, dropRate: 1 }, /\[0, 1\) for options\.dropRate \(llm\.offsite_tuning\.kwargs\.drop_ratio\)/);
  throwsInvalid({ algorithm: 'fedbiot', numLayers: 5, adapterLayers: 1, dropRate: -0.1 }, /drop_ratio/);
  throwsInvalid({ algorithm: 'fedbiot', numLayers: 5, adapterLayers: 1, dropRate: Number.NaN }, /drop_ratio/);
  throwsInvalid({ algorithm: 'fedbiot', numLayers: 5, adapterLayers: 3, dropRate: 0.6 }, /keeps at least one of the 2 emulated blocks/);
  throwsInvalid({ algorithm: 'fedbiot', numLayers: 1, adapterLayers: 1, dropRate: 0 }, />= 2.*options\.numLayers/);
  throwsInvalid({ algorithm: 'fedbiot', numLayers: 5, adapterLayers: 1, dropRate: 0, rounding: 'ceil' }, /options\.rounding/);
  throwsInvalid({ algorithm: 'lora', numLayers: 5 }, /options\.algorithm/);
  throwsInvalid(null, /options/);
});

fedbiot.run();

// ---

const fedot = suite('planEmulator :: fedot');

fedot('should clamp emu_l to 1 and emu_r to n - 1 as FS-LLM does', () => {
  const plan = planEmulator({ algorithm: 'fedot', numLayers: 8, emuL: 0, emuR: 20, dropRate: 0 });
  assert.equal(plan.emulatorRange, [1, 7]);
  assert.equal(plan.adapter, [0, 7]);
  assert.equal(plan.layout, range(0, 8));
});

fedot('should match FS-LLM for its shipped settings :: n 32, emu 2..30 and GPT-2 n 12, emu 2..10', () => {
  for (const [n, l, r] of [[32, 2, 30], [12, 2, 10], [32, 1, 31], [24, 2, 22]] as const) {
    for (const drop of [0.2, 0.5]) {
      const plan = planEmulator({ algorithm: 'fedot', numLayers: n, emuL: l, emuR: r, dropRate: drop });
      checkPlan(plan);
      assert.equal(plan.emulator, fsllmKept(r - l, drop).map((i) => i + l), `n ${n} emu ${l}..${r} drop ${drop}`);
      assert.equal(plan.adapter, [...range(0, l), ...range(r, n)]);
    }
  }
  const gpt2 = planEmulator({ algorithm: 'fedot', numLayers: 12, emuL: 2, emuR: 10, dropRate: 0.5 });
  assert.equal(gpt2.layout, [0, 1, 2, 4, 6, 9, 10, 11]);
  assert.equal(gpt2.emulatorLayersInModel, [2, 3, 4, 5]);
  assert.equal(gpt2.adapterLayersInModel, [0, 1, 6, 7]);
  assert.is(gpt2.studentTap, 6);
  assert.is(gpt2.teacherTap, 10);
});

fedot('should hold the invariants for every (n, l, r, beta) :: property', () => {
  for (let n = 3; n <= 24; n++) {
    for (let l = 0; l < n; l++) {
      for (let r = l + 1; r <= n + 1; r++) {
        const [cl, cr] = [Math.max(l, 1), Math.min(r, n - 1)];
        for (const beta of [0, 0.2, 0.5, 0.8]) {
          if (cr <= cl || Math.floor((1 - beta) * (cr - cl) + 1e-9) < 1) continue;
          checkPlan(planEmulator({ algorithm: 'fedot', numLayers: n, emuL: l, emuR: r, dropRate: beta }));
        }
      }
    }
  }
});

fedot("should round half to even with rounding 'fsllm' :: Python round()", () => {
  // m = 5, 0.5 -> 2.5 -> 2; m = 7 -> 3.5 -> 4 (floor gives 3)
  assert.equal(planEmulator({ algorithm: 'fedot', numLayers: 7, emuL: 1, emuR: 6, dropRate: 0.5, rounding: 'fsllm' }).emulator, [1, 5]);
  assert.is(planEmulator({ algorithm: 'fedot', numLayers: 9, emuL: 1, emuR: 8, dropRate: 0.5, rounding: 'fsllm' }).emulator.length, 4);
  assert.is(planEmulator({ algorithm: 'fedot', numLayers: 9, emuL: 1, emuR: 8, dropRate: 0.5 }).emulator.length, 3);
});

fedot('should reject bad ranges naming emu_l / emu_r', () => {
  throwsInvalid({ algorithm: 'fedot', numLayers: 12, emuL: 4, emuR: 4, dropRate: 0.2 }, /> emuL \(4\) for options\.emuR \(llm\.offsite_tuning\.emu_r\)/);
  throwsInvalid({ algorithm: 'fedot', numLayers: 12, emuL: -1, emuR: 4, dropRate: 0.2 }, /options\.emuL \(llm\.offsite_tuning\.emu_l\)/);
  throwsInvalid({ algorithm: 'fedot', numLayers: 12, emuL: 11, emuR: 14, dropRate: 0.2 }, /became \[11, 11\).*emu_l\/emu_r/);
  throwsInvalid({ algorithm: 'fedot', numLayers: 2, emuL: 1, emuR: 2, dropRate: 0 }, />= 3 for fedot for options\.numLayers/);
});

fedot.run();
