import { DescribeCustomKeyStoresCommand, DescribeKeyCommand, ListKeysCommand } from "@aws-sdk/client-kms";
import { ListExecutionsCommand } from "@aws-sdk/client-sfn";
import type { KmsPort, SfnPort } from "../src/adapters/clients/types";
import type { LocalTarget } from "./target";
import { listStateMachines, stateMachineName, type Workflow } from "./workflows";

export type StatusReport = {
  now: string;
  keyStores: {
    customKeyStoreId: string;
    name: string;
    clusterId?: string;
    connectionState: string;
    connectionErrorCode?: string;
  }[];
  pendingDeletions: { keyId: string; keyArn: string; customKeyStoreId: string; deletionDate: string }[];
  workflows: { workflow: string; stateMachine: string; deployed: boolean }[];
  executions: {
    workflow: string;
    name: string;
    status: string;
    startDate: string;
    stopDate?: string;
    executionArn: string;
  }[];
};

const iso = (d: Date | undefined) => (d ? new Date(d).toISOString() : "");

/**
 * What `status` shows: every custom key store and its connection state, every key in a CloudHSM key store that is
 * pending deletion with its due date, and the 10 most recent executions of each registered workflow.
 */
export async function collectStatus(
  deps: { kms: KmsPort; sfn: SfnPort },
  options: { workflows: Workflow[]; stage: string; now: string },
): Promise<StatusReport> {
  const keyStores: StatusReport["keyStores"] = [];
  let marker: string | undefined;
  do {
    const page = await deps.kms.send(
      new DescribeCustomKeyStoresCommand({ Limit: 1000, ...(marker ? { Marker: marker } : {}) }),
    );
    for (const store of page.CustomKeyStores ?? []) {
      keyStores.push({
        customKeyStoreId: store.CustomKeyStoreId ?? "",
        name: store.CustomKeyStoreName ?? "",
        ...(store.CloudHsmClusterId ? { clusterId: store.CloudHsmClusterId } : {}),
        connectionState: store.ConnectionState ?? "",
        ...(store.ConnectionErrorCode ? { connectionErrorCode: store.ConnectionErrorCode } : {}),
      });
    }
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);

  const pendingDeletions: StatusReport["pendingDeletions"] = [];
  // Keys carry no key store in ListKeys; only when there are key stores is DescribeKey per key worth its calls.
  if (keyStores.length > 0) {
    let keyMarker: string | undefined;
    do {
      const page = await deps.kms.send(
        new ListKeysCommand({ Limit: 1000, ...(keyMarker ? { Marker: keyMarker } : {}) }),
      );
      for (const key of page.Keys ?? []) {
        const meta = (await deps.kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata;
        if (meta?.CustomKeyStoreId && meta.KeyState === "PendingDeletion") {
          pendingDeletions.push({
            keyId: meta.KeyId ?? "",
            keyArn: meta.Arn ?? "",
            customKeyStoreId: meta.CustomKeyStoreId,
            deletionDate: iso(meta.DeletionDate),
          });
        }
      }
      keyMarker = page.Truncated ? page.NextMarker : undefined;
    } while (keyMarker);
    pendingDeletions.sort((a, b) => a.deletionDate.localeCompare(b.deletionDate));
  }

  const workflows: StatusReport["workflows"] = [];
  const executions: StatusReport["executions"] = [];
  const machines = await listStateMachines(deps.sfn);
  for (const workflow of options.workflows) {
    const name = stateMachineName(workflow, options.stage);
    const arn = machines.get(name);
    workflows.push({ workflow: workflow.name, stateMachine: name, deployed: arn !== undefined });
    if (!arn) continue;
    const page = await deps.sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 10 }));
    for (const e of page.executions ?? []) {
      executions.push({
        workflow: workflow.name,
        name: e.name ?? "",
        status: e.status ?? "",
        startDate: iso(e.startDate),
        ...(e.stopDate ? { stopDate: iso(e.stopDate) } : {}),
        executionArn: e.executionArn ?? "",
      });
    }
  }
  executions.sort((a, b) => b.startDate.localeCompare(a.startDate));
  return { now: options.now, keyStores, pendingDeletions, workflows, executions };
}

/** A plain text table, indented by two: header, then rows, columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].map((l) => `  ${l}`).join("\n");
}

/** "in 29d 23h" or "overdue by 2h": how far a due date is from now. */
export function relative(due: string, now: string): string {
  const ms = Date.parse(due) - Date.parse(now);
  const abs = Math.abs(ms);
  const d = Math.floor(abs / 86_400_000);
  const h = Math.floor((abs % 86_400_000) / 3_600_000);
  const m = Math.floor((abs % 3_600_000) / 60_000);
  const text = d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : `${m}m`;
  return ms >= 0 ? `in ${text}` : `overdue by ${text}`;
}

/**
 * The local account's status page (local/ui), as a link that opens it in a browser: `?token=` is read once and
 * swapped for a cookie. The token is the one this CLI already reads; when it has none, the link says where it is.
 */
export function statusPageLink(target: LocalTarget): string {
  const page = `${target.endpoint}/_local/ui`;
  if (target.token) return `${page}?token=${encodeURIComponent(target.token)}`;
  return `${page}?token=<the control token ${target.tokenFile ? `in ${target.tokenFile}` : "the account printed at start"}>`;
}

/** The report as three tables (key stores, pending deletions, recent executions) for a terminal. */
export function renderStatus(report: StatusReport, where: string, page?: string): string {
  const out: string[] = [`Status of ${where} at ${report.now}`, ""];
  out.push(`Key stores (${report.keyStores.length})`);
  out.push(
    report.keyStores.length === 0
      ? "  none"
      : table(
          ["ID", "NAME", "CLUSTER", "CONNECTION", "ERROR"],
          report.keyStores.map((s) => [
            s.customKeyStoreId,
            s.name,
            s.clusterId ?? "",
            s.connectionState,
            s.connectionErrorCode ?? "",
          ]),
        ),
  );
  out.push("", `Pending deletions (${report.pendingDeletions.length})`);
  out.push(
    report.pendingDeletions.length === 0
      ? "  none"
      : table(
          ["KEY", "KEY STORE", "DUE", ""],
          report.pendingDeletions.map((k) => [
            k.keyId,
            k.customKeyStoreId,
            k.deletionDate,
            relative(k.deletionDate, report.now),
          ]),
        ),
  );
  out.push("", `Recent executions (${report.executions.length})`);
  out.push(
    report.executions.length === 0
      ? "  none"
      : table(
          ["WORKFLOW", "NAME", "STATUS", "STARTED"],
          report.executions.map((e) => [e.workflow, e.name, e.status, e.startDate]),
        ),
  );
  const missing = report.workflows.filter((w) => !w.deployed);
  if (missing.length > 0) {
    out.push("", `Not deployed: ${missing.map((w) => `${w.workflow} (${w.stateMachine})`).join(", ")}`);
  }
  if (page)
    out.push("", `The same at a glance, and more (HSMs, orphans, each execution's path), in a browser: ${page}`);
  return out.join("\n");
}
