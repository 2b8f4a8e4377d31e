/**
 * The stand-in for a VM's disk writes in the two-host tier: writes pattern blocks (pattern.mjs)
 * into a thin volume, one per slot of `--stride` bytes (so each write maps a fresh pool block and
 * makes dm-thin commit metadata), never rewriting a slot, with O_DIRECT|O_DSYNC (dm-native's
 * blockWrite: each write is durable when it returns, as write + fdatasync). After each
 * acknowledged write it prints one pattern-log line on stdout: {"seq", "offset", "sum", "ms"}
 * (`ms`: how long the write took, for the benchmarks' pause figures).
 * Stops at SIGTERM, after the last slot, or at the first failed write (printed on stderr).
 *
 * `--hold`: open the device once and keep it open, as a VM keeps its disk, writing with
 * O_DSYNC through that descriptor (durable when the write returns, as above). A live move
 * renames the volume's device while it is open: a writer that opened the path per write would
 * lose it, one holding its descriptor does not.
 *
 *   node writer.mjs --device /dev/mapper/tf-pool-vol --tag A1 --slots 2048 --stride 65536 --rate 20 [--hold]
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { blockWrite } from '@thinfleet/dm-native';
import { walkArgs, wholeNumber } from '../../support/args.mjs';
import { blockSum, patternBlock } from './pattern.mjs';

const opts = { device: '', tag: '', slots: 1024, stride: 65536, rate: 20, hold: false };
walkArgs(process.argv.slice(2), (a, value) => {
  if (a === '--device') opts.device = value();
  else if (a === '--tag') opts.tag = value();
  else if (a === '--slots') opts.slots = wholeNumber(a, value());
  else if (a === '--stride') opts.stride = wholeNumber(a, value());
  else if (a === '--rate') opts.rate = wholeNumber(a, value());
  else if (a === '--hold') opts.hold = true;
  else throw new Error(`unknown option ${a}`);
});
if (!opts.device || !/^[A-Za-z0-9_-]+$/.test(opts.tag)) throw new Error('--device and --tag (letters, digits, _ and -) are required');

const held = opts.hold ? await open(opts.device, constants.O_WRONLY | constants.O_DSYNC) : null;
/** Writes `block` at `offset`, durably when it returns. */
const write = async (offset, block) => {
  if (held === null) return blockWrite(opts.device, offset, block);
  const { bytesWritten } = await held.write(block, 0, block.length, offset);
  if (bytesWritten !== block.length) throw new Error(`short write: ${bytesWritten} of ${block.length} bytes`);
};
let stopping = false;
process.on('SIGTERM', () => (stopping = true));
const gapMs = 1000 / opts.rate;
const started = Date.now();
for (let seq = 0; seq < opts.slots && !stopping; seq++) {
  const offset = seq * opts.stride;
  const block = patternBlock(opts.tag, seq, offset);
  const t0 = performance.now();
  try {
    await write(offset, block);
  } catch (err) {
    process.stderr.write(`write ${seq} at ${offset} failed: ${err.code ?? ''} ${err.message}\n`);
    process.exitCode = 1;
    break;
  }
  const ms = Math.round((performance.now() - t0) * 100) / 100;
  process.stdout.write(`${JSON.stringify({ seq, offset, sum: blockSum(block), ms })}\n`);
  const wait = started + (seq + 1) * gapMs - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
await held?.close();
