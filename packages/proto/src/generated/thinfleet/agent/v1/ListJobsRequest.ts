// Original file: proto/thinfleet/agent/v1/job.proto


export interface ListJobsRequest {
}

export interface ListJobsRequest__Output {
}
