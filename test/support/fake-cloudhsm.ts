import type { Cluster, Hsm } from "@aws-sdk/client-cloudhsm-v2";
import type { CloudHsmPort } from "../../src/adapters/clients/types";

/**
 * A CloudHSM port answering each command class with a set reply (an Error is thrown), recording every call.
 * client-cloudhsm-v2 3.332's types predate aws-sdk-client-mock's, so unit tests use this instead of mockClient.
 */
export function fakeCloudHsm() {
  const replies = new Map<unknown, unknown>();
  const calls: { command: string; input: unknown }[] = [];
  const port = {
    send: async (command: { constructor: unknown; input: unknown }) => {
      calls.push({ command: (command.constructor as { name: string }).name, input: command.input });
      const reply = replies.get(command.constructor);
      if (reply instanceof Error) throw reply;
      return reply;
    },
  } as unknown as CloudHsmPort;
  return {
    port,
    replies,
    calls,
    reset() {
      replies.clear();
      calls.length = 0;
    },
  };
}

/**
 * A DescribeClusters answer with one cluster: `state`, one subnet per zone in `zones`, and one HSM per entry of `hsms`
 * ([HSM id suffix letter, zone, state]), as the API Reference's Cluster and Hsm types describe them.
 */
export function clusterReply(
  clusterId: string,
  state: string,
  zones: Record<string, string>,
  hsms: [id: string, zone: string, state: string][] = [],
): { Clusters: Cluster[] } {
  const hsmList: Hsm[] = hsms.map(([id, zone, hsmState]) => ({
    HsmId: id,
    AvailabilityZone: zone,
    State: hsmState as Hsm["State"],
    ClusterId: clusterId,
  }));
  return {
    Clusters: [{ ClusterId: clusterId, State: state as Cluster["State"], SubnetMapping: zones, Hsms: hsmList }],
  };
}
