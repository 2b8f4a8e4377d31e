// Original file: proto/thinfleet/coordinator/v1/cluster.proto


export interface ClusterStatusRequest {
}

export interface ClusterStatusRequest__Output {
}
