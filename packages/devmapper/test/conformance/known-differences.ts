/**
 * Where SimDmClient may differ from the kernel, and how the conformance suite copes. Keep this
 * list near empty: each entry is a place where the simulator is not held to the real thing.
 */
export const KNOWN_DIFFERENCES: ReadonlyArray<{ what: string; how: string }> = [
  {
    what: 'used metadata blocks of a thin pool',
    how: 'the simulator stores its own metadata format, so the suite checks 0 < used < total, not the count',
  },
  {
    what: 'the held metadata root block number',
    how: 'any positive block number; the suite checks presence and absence, not the value; DmClient.readMetadataSnapshot given a root the pool does not hold fails EAGAIN (the simulator finds another snapshot on disk) or EILSEQ (the kernel format finds no superblock there)',
  },
  {
    what: 'a linear target longer than its device',
    how: 'the kernel may accept the load and refuse it at resume; the simulator refuses the load; the suite accepts EINVAL at either step',
  },
];
