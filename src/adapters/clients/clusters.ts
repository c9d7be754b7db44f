import { CloudHsmClusters } from "../clusters";
import { cloudhsm, cloudhsmIn } from "./cloudhsm";

/** CloudHSM's clusters, through the instance's CloudHSM client. */
export const clusters = new CloudHsmClusters(cloudhsm, cloudhsmIn);
