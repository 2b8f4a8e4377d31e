#!/usr/bin/env node
// The ListVolumes answer's encoding: protobufjs (grpc-js's default serializer, from
// loadAgentApi()) against the hand-specialised encoder (packages/proto
// volume-list-encoder.ts), on the same data, in one process, interleaved run by run so the
// host's load hits both. A micro-benchmark, not a test: it prints figures; an error (the two
// encodings decoding to different objects) is an exit code. Needs the built dist
// (`npx tsc -b packages/proto`).
//
//   node test/bench/list-encoding.bench.mjs [--volumes V] [--runs R]
//     --volumes V   Volume messages in the answer (default 10000)
//     --runs R      timed encodings of each kind per answer (default 20)
//
// Two answers: without usage (what `volume list` asks) and with usage (mapped, exclusive and
// shared bytes set), shaped as the agent's volumeMessage() shapes them (every field present,
// empty strings for "none").
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { encodeListVolumesResponse, loadAgentApi } from '@thinfleet/proto';
import { walkArgs, wholeNumber } from '../support/args.mjs';

const opts = { volumes: 10_000, runs: 20 };
walkArgs(process.argv.slice(2), (arg, value) => {
  if (arg === '--volumes') opts.volumes = wholeNumber(arg, value());
  else if (arg === '--runs') opts.runs = wholeNumber(arg, value());
  else throw new Error(`unknown option ${arg}`);
});

const MiB = 1024 * 1024;

function answer(count, usage) {
  const volumes = [];
  for (let i = 0; i < count; i++) {
    volumes.push({
      pool: 'pool0',
      name: `vm-${String(i).padStart(5, '0')}-disk`,
      uuid: `6f1c2a4e-${String(i).padStart(4, '0').slice(-4)}-4b1e-9a7d-1c2e3f4a5b6c`,
      thinId: i + 1,
      sizeBytes: 64 * MiB,
      origin: i % 4 === 0 ? '' : `vm-${String(i - 1).padStart(5, '0')}-disk`,
      externalOrigin: '',
      created: '2026-12-06T13:59:37.123Z',
      revisionOf: '',
      revision: 0,
      pinned: false,
      active: i % 10 === 0,
      devicePath: i % 10 === 0 ? `/dev/mapper/tf-pool0-vm-${i}` : '',
      jobId: '',
      deviceSimulated: false,
      ...(usage ? { mappedBytes: ((i % 97) + 2 * (i % 13)) * 65536, exclusiveBytes: (i % 13) * 65536, sharedBytes: ((i % 97) + (i % 13)) * 65536 } : {}),
    });
  }
  return { volumes, inactivePools: [] };
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { p50: at(0.5), min: s[0], max: s[s.length - 1] };
}
const ms = (x) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;
const fmt = (st) => `p50 ${ms(st.p50)}, min ${ms(st.min)}, max ${ms(st.max)}`;

const codec = loadAgentApi().VolumeService.service.ListVolumes;
console.log(
  `ListVolumes answer encoding, ${opts.volumes} volumes, ${opts.runs} runs each (interleaved); load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
for (const usage of [false, true]) {
  const data = answer(opts.volumes, usage);
  const viaProtobufjs = codec.responseSerialize(data);
  const viaHand = encodeListVolumesResponse(data);
  if (!isDeepStrictEqual(codec.responseDeserialize(viaHand), codec.responseDeserialize(viaProtobufjs))) {
    throw new Error(`usage ${usage}: the hand encoder's bytes decode to a different answer than protobufjs's`);
  }
  // Warm both up (JIT), then time them in turn.
  for (let i = 0; i < 3; i++) {
    codec.responseSerialize(data);
    encodeListVolumesResponse(data);
  }
  const pjs = [];
  const hand = [];
  for (let i = 0; i < opts.runs; i++) {
    let t0 = performance.now();
    codec.responseSerialize(data);
    pjs.push(performance.now() - t0);
    t0 = performance.now();
    encodeListVolumesResponse(data);
    hand.push(performance.now() - t0);
  }
  const a = stats(pjs);
  const b = stats(hand);
  console.log(`usage ${usage}:`);
  console.log(`  protobufjs (responseSerialize)  ${fmt(a)}; ${(viaProtobufjs.length / 1024).toFixed(0)} KiB`);
  console.log(`  hand encoder                    ${fmt(b)}; ${(viaHand.length / 1024).toFixed(0)} KiB`);
  console.log(`  protobufjs / hand by p50        ${(a.p50 / b.p50).toFixed(1)}x`);
}
console.log(
  `load average after ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
