// Original file: proto/thinfleet/agent/v1/volume.proto

import type { Volume as _thinfleet_agent_v1_Volume, Volume__Output as _thinfleet_agent_v1_Volume__Output } from '../../../thinfleet/agent/v1/Volume.js';

export interface ListVolumesResponse {
  /**
   * By pool, then name (code-unit order).
   */
  'volumes'?: (_thinfleet_agent_v1_Volume)[];
  /**
   * With an empty `pool`: the pools this host knows but has not active, by name; their volumes
   * are not in `volumes` (activate the pool to list them). In every page.
   */
  'inactivePools'?: (string)[];
  /**
   * The `page_token` for the next page (opaque text, at most 512 bytes); empty when this is the
   * last page. A page may hold fewer than `page_size` volumes, even none, and still have a next.
   */
  'nextPageToken'?: (string);
}

export interface ListVolumesResponse__Output {
  /**
   * By pool, then name (code-unit order).
   */
  'volumes': (_thinfleet_agent_v1_Volume__Output)[];
  /**
   * With an empty `pool`: the pools this host knows but has not active, by name; their volumes
   * are not in `volumes` (activate the pool to list them). In every page.
   */
  'inactivePools': (string)[];
  /**
   * The `page_token` for the next page (opaque text, at most 512 bytes); empty when this is the
   * last page. A page may hold fewer than `page_size` volumes, even none, and still have a next.
   */
  'nextPageToken': (string);
}
