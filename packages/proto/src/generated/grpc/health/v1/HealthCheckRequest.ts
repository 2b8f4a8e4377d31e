// Original file: proto/grpc/health/v1/health.proto


export interface HealthCheckRequest {
  /**
   * "" for the whole server, or a fully qualified service name.
   */
  'service'?: (string);
}

export interface HealthCheckRequest__Output {
  /**
   * "" for the whole server, or a fully qualified service name.
   */
  'service': (string);
}
