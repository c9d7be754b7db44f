import type { z } from "zod";
import type { AccountContext } from "../account";
import type { CallScope, Recorder } from "../protocol";
import { type Deps, responded } from "./operations";
import { invalidRequest, loadBackup, loadCluster, page, saveBackup, saveCluster } from "./records";
import type { ListTagsInput, TagResourceInput, UntagResourceInput } from "./schemas";

/** TagResource (API Reference, API_TagResource.html). */
export function tagResource({ ctx }: Deps, input: z.infer<typeof TagResourceInput>, record: Recorder, at: CallScope) {
  const resource = taggable(ctx, input.ResourceId, at);
  const tags = new Map(resource.TagList.map((t) => [t.Key, t.Value]));
  for (const tag of input.TagList) tags.set(tag.Key, tag.Value);
  if (tags.size > 50) throw invalidRequest(`Resource ${input.ResourceId} would have more than 50 tags`);
  resource.TagList = [...tags].map(([Key, Value]) => ({ Key, Value }));
  resource.save();
  record(responded(null));
  return {};
}

/** UntagResource (API Reference, API_UntagResource.html). */
export function untagResource(
  { ctx }: Deps,
  input: z.infer<typeof UntagResourceInput>,
  record: Recorder,
  at: CallScope,
) {
  const resource = taggable(ctx, input.ResourceId, at);
  resource.TagList = resource.TagList.filter((t) => !input.TagKeyList.includes(t.Key));
  resource.save();
  record(responded(null));
  return {};
}

/** ListTags (API Reference, API_ListTags.html). */
export function listTags({ ctx }: Deps, input: z.infer<typeof ListTagsInput>, at: CallScope) {
  const { items, nextToken } = page(taggable(ctx, input.ResourceId, at).TagList, input.MaxResults, input.NextToken);
  return { TagList: items, ...(nextToken ? { NextToken: nextToken } : {}) };
}

/** A cluster or backup whose tags can be changed in place, then saved. */
function taggable(ctx: AccountContext, resourceId: string, at: CallScope) {
  if (resourceId.startsWith("cluster-")) {
    const cluster = loadCluster(ctx, resourceId);
    return {
      get TagList() {
        return cluster.TagList;
      },
      set TagList(tags) {
        cluster.TagList = tags;
      },
      save: () => saveCluster(ctx, cluster),
    };
  }
  const backup = loadBackup(ctx, resourceId, at.region);
  return {
    get TagList() {
      return backup.TagList;
    },
    set TagList(tags) {
      backup.TagList = tags;
    },
    save: () => saveBackup(ctx, backup),
  };
}
