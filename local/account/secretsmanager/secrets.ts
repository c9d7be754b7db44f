import type { z } from "zod";
import { AwsServiceError } from "../errors";
import { epochSeconds } from "../ids";
import {
  aad,
  addVersion,
  arnOf,
  CURRENT,
  type Deps,
  find,
  invalidParameter,
  KIND,
  labelled,
  moveStage,
  notFound,
  page,
  prune,
  type SecretRecord,
  save,
  words,
} from "./records";
import type {
  CreateSecretInput,
  GetSecretValueInput,
  ListSecretsInput,
  ListSecretVersionIdsInput,
  PutSecretValueInput,
  SecretIdInput,
  UpdateSecretVersionStageInput,
} from "./schemas";

/** CreateSecret (API Reference, API_CreateSecret.html). */
export function createSecret(deps: Deps, req: z.infer<typeof CreateSecretInput>) {
  const { ctx } = deps;
  if (ctx.store.get<SecretRecord>(KIND, req.Name)) {
    throw new AwsServiceError(
      "ResourceExistsException",
      `The operation failed because the secret ${req.Name} already exists.`,
    );
  }
  const now = ctx.clock.now();
  const secret: SecretRecord = {
    arn: arnOf(ctx, req.Name),
    name: req.Name,
    ...(req.Description !== undefined ? { description: req.Description } : {}),
    ...(req.KmsKeyId !== undefined ? { kmsKeyId: req.KmsKeyId } : {}),
    created: now,
    lastChanged: now,
    versions: [],
  };
  const version =
    req.SecretString !== undefined
      ? addVersion(deps, secret, req.SecretString, req.ClientRequestToken, [CURRENT])
      : undefined;
  save(ctx, secret);
  return { ARN: secret.arn, Name: secret.name, ...(version ? { VersionId: version.versionId } : {}) };
}

/** GetSecretValue (API Reference, API_GetSecretValue.html). */
export function getSecretValue({ ctx, vault }: Deps, req: z.infer<typeof GetSecretValueInput>) {
  const secret = find(ctx, req.SecretId);
  const stage = req.VersionStage ?? (req.VersionId ? undefined : CURRENT);
  const version = secret.versions.find(
    (v) => (!req.VersionId || v.versionId === req.VersionId) && (!stage || v.stages.includes(stage)),
  );
  if (!version) {
    throw notFound(
      req.VersionId
        ? `Secrets Manager can't find the specified secret value for VersionId: ${req.VersionId}`
        : `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
    );
  }
  return {
    ARN: secret.arn,
    Name: secret.name,
    VersionId: version.versionId,
    SecretString: vault.open(version.sealed, aad(secret, version.versionId)),
    VersionStages: version.stages,
    CreatedDate: epochSeconds(version.created),
  };
}

/** PutSecretValue (API Reference, API_PutSecretValue.html). */
export function putSecretValue(deps: Deps, req: z.infer<typeof PutSecretValueInput>) {
  const { ctx } = deps;
  const secret = find(ctx, req.SecretId);
  const version = addVersion(deps, secret, req.SecretString, req.ClientRequestToken, req.VersionStages ?? [CURRENT]);
  save(ctx, secret);
  return { ARN: secret.arn, Name: secret.name, VersionId: version.versionId, VersionStages: version.stages };
}

/** UpdateSecretVersionStage (API Reference, API_UpdateSecretVersionStage.html). */
export function updateSecretVersionStage({ ctx }: Deps, req: z.infer<typeof UpdateSecretVersionStageInput>) {
  const secret = find(ctx, req.SecretId);
  const holder = secret.versions.find((v) => v.stages.includes(req.VersionStage));
  if (holder && holder.versionId !== req.MoveToVersionId && holder.versionId !== req.RemoveFromVersionId) {
    throw invalidParameter(
      `The staging label ${req.VersionStage} is currently attached to version ${holder.versionId}, so you must explicitly reference that version in RemoveFromVersionId.`,
    );
  }
  if (req.MoveToVersionId) {
    const target = secret.versions.find((v) => v.versionId === req.MoveToVersionId);
    if (!target) throw notFound(`Secrets Manager can't find the specified secret version: ${req.MoveToVersionId}`);
    moveStage(secret, req.VersionStage, target);
  } else if (holder) {
    holder.stages = holder.stages.filter((s) => s !== req.VersionStage);
  }
  prune(ctx, secret);
  secret.lastChanged = ctx.clock.now();
  save(ctx, secret);
  return { ARN: secret.arn, Name: secret.name };
}

/** DescribeSecret (API Reference, API_DescribeSecret.html). */
export function describeSecret({ ctx }: Deps, req: z.infer<typeof SecretIdInput>) {
  const secret = find(ctx, req.SecretId);
  return {
    ARN: secret.arn,
    Name: secret.name,
    ...(secret.description !== undefined ? { Description: secret.description } : {}),
    ...(secret.kmsKeyId !== undefined ? { KmsKeyId: secret.kmsKeyId } : {}),
    CreatedDate: epochSeconds(secret.created),
    LastChangedDate: epochSeconds(secret.lastChanged),
    VersionIdsToStages: labelled(secret),
  };
}

/** ListSecrets (API Reference, API_ListSecrets.html). */
export function listSecrets({ ctx }: Deps, req: z.infer<typeof ListSecretsInput>) {
  const matches = (secret: SecretRecord) =>
    (req.Filters ?? []).every((filter) =>
      filter.Values.some((raw) => {
        const negated = raw.startsWith("!");
        const value = negated ? raw.slice(1) : raw;
        const hit =
          filter.Key === "name"
            ? secret.name.startsWith(value)
            : words(value).every((w) => words(secret.description ?? "").includes(w));
        return negated ? !hit : hit;
      }),
    );
  const sign = req.SortOrder === "desc" ? -1 : 1;
  const { items, NextToken } = page(
    ctx.store.list<SecretRecord>(KIND).filter(matches),
    (s) => [sign * s.created, s.name],
    req.MaxResults,
    req.NextToken,
  );
  return {
    SecretList: items.map((secret) => ({
      ARN: secret.arn,
      Name: secret.name,
      ...(secret.description !== undefined ? { Description: secret.description } : {}),
      ...(secret.kmsKeyId !== undefined ? { KmsKeyId: secret.kmsKeyId } : {}),
      LastChangedDate: epochSeconds(secret.lastChanged),
      SecretVersionsToStages: labelled(secret),
      CreatedDate: epochSeconds(secret.created),
    })),
    ...(NextToken ? { NextToken } : {}),
  };
}

/** ListSecretVersionIds (API Reference, API_ListSecretVersionIds.html). */
export function listSecretVersionIds({ ctx }: Deps, req: z.infer<typeof ListSecretVersionIdsInput>) {
  const secret = find(ctx, req.SecretId);
  // Without IncludeDeprecated, versions without staging labels are left out (API_ListSecretVersionIds).
  const shown = req.IncludeDeprecated ? secret.versions : secret.versions.filter((v) => v.stages.length > 0);
  const { items, NextToken } = page(shown, (v) => [v.created, v.versionId], req.MaxResults, req.NextToken);
  return {
    Versions: items.map((v) => ({
      VersionId: v.versionId,
      ...(v.stages.length > 0 ? { VersionStages: v.stages } : {}),
      CreatedDate: epochSeconds(v.created),
    })),
    ...(NextToken ? { NextToken } : {}),
    ARN: secret.arn,
    Name: secret.name,
  };
}
