// Original file: proto/thinfleet/agent/v1/pool.proto


export interface DiscoveredPool {
  'name'?: (string);
  'uuid'?: (string);
  /**
   * Paths by device index; empty where no given device has that index.
   */
  'devices'?: (string)[];
  /**
   * Every device is present and device 0 carries the catalog.
   */
  'complete'?: (boolean);
  /**
   * Why an incomplete pool cannot be activated.
   */
  'problems'?: (string)[];
}

export interface DiscoveredPool__Output {
  'name': (string);
  'uuid': (string);
  /**
   * Paths by device index; empty where no given device has that index.
   */
  'devices': (string)[];
  /**
   * Every device is present and device 0 carries the catalog.
   */
  'complete': (boolean);
  /**
   * Why an incomplete pool cannot be activated.
   */
  'problems': (string)[];
}
