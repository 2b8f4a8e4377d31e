// Original file: proto/thinfleet/agent/v1/volume.proto


export interface ListVolumesRequest {
  /**
   * Empty for every active pool. A pool this host does not know is NOT_FOUND (NO_SUCH_POOL); a
   * known pool that is not active here is FAILED_PRECONDITION (POOL_INACTIVE).
   */
  'pool'?: (string);
  /**
   * Read mapped/exclusive/shared bytes from the kernel's metadata (costs a metadata read per
   * page: one of the whole pool).
   */
  'usage'?: (boolean);
  /**
   * The most volumes (a count) one answer carries, 1 .. 10000; 0: 1000 when `page_token` is
   * set, and every volume in one answer when neither is set (what a client older than paging
   * sends; see docs/agent.md, Listing). Above 10000 is INVALID_ARGUMENT on page_size.
   */
  'pageSize'?: (number);
  /**
   * Empty for the first page, else the `next_page_token` of the previous answer to the same
   * `pool` (opaque text, at most 512 bytes). Pages are keyset pages in (pool, name) order: a
   * volume that exists unchanged during the whole walk is in exactly one page. A token this
   * agent did not make, or made for another `pool`, is INVALID_ARGUMENT on page_token.
   */
  'pageToken'?: (string);
}

export interface ListVolumesRequest__Output {
  /**
   * Empty for every active pool. A pool this host does not know is NOT_FOUND (NO_SUCH_POOL); a
   * known pool that is not active here is FAILED_PRECONDITION (POOL_INACTIVE).
   */
  'pool': (string);
  /**
   * Read mapped/exclusive/shared bytes from the kernel's metadata (costs a metadata read per
   * page: one of the whole pool).
   */
  'usage': (boolean);
  /**
   * The most volumes (a count) one answer carries, 1 .. 10000; 0: 1000 when `page_token` is
   * set, and every volume in one answer when neither is set (what a client older than paging
   * sends; see docs/agent.md, Listing). Above 10000 is INVALID_ARGUMENT on page_size.
   */
  'pageSize': (number);
  /**
   * Empty for the first page, else the `next_page_token` of the previous answer to the same
   * `pool` (opaque text, at most 512 bytes). Pages are keyset pages in (pool, name) order: a
   * volume that exists unchanged during the whole walk is in exactly one page. A token this
   * agent did not make, or made for another `pool`, is INVALID_ARGUMENT on page_token.
   */
  'pageToken': (string);
}
