// Original file: proto/thinfleet/agent/v1/pool.proto


export interface DestroyPoolResponse {
}

export interface DestroyPoolResponse__Output {
}
