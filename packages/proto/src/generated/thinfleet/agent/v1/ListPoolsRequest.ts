// Original file: proto/thinfleet/agent/v1/pool.proto


export interface ListPoolsRequest {
}

export interface ListPoolsRequest__Output {
}
