import { z } from "zod";

/** Request shapes of the CloudHSM v2 API (BaldrApiService), with the constraints of the API reference. */

export const ClusterId = z.string().regex(/^cluster-[2-7a-zA-Z]{11,16}$/);
export const BackupId = z.string().regex(/^backup-[2-7a-zA-Z]{11,16}$/);
const HsmId = z.string().regex(/^hsm-[2-7a-zA-Z]{11,16}$/);
const Ipv4 = z.string().regex(/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/);
const NextToken = z.string().max(256).regex(/^.*$/);
// The API's own pattern: `+-/` is a range, so ',' and '.' are allowed too.
const Pem = z
  .string()
  .max(20000)
  .regex(/^[a-zA-Z0-9+-/=\s]*$/);

export const SubnetIdPattern = /^subnet-[0-9a-fA-F]{8,17}$/;

const Tag = z.object({
  Key: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u),
  Value: z
    .string()
    .max(256)
    .regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u),
});
const TagList = z.array(Tag).min(1).max(50);

const BackupRetentionPolicy = z.object({
  Type: z.literal("DAYS").optional(),
  Value: z
    .string()
    .min(1)
    .max(3)
    .regex(/^[0-9]+$/)
    .refine((v) => Number(v) >= 7 && Number(v) <= 379, "Member must be a number of days from 7 to 379"),
});

const Filters = z.record(z.string(), z.array(z.string()));

export const CreateClusterInput = z.object({
  BackupRetentionPolicy: BackupRetentionPolicy.optional(),
  HsmType: z
    .string()
    .max(32)
    .regex(/^((p|)hsm[0-9][a-z.]*\.[a-zA-Z]+)$/),
  SourceBackupId: BackupId.optional(),
  SubnetIds: z.array(z.string().regex(SubnetIdPattern)).min(1).max(10),
  NetworkType: z.enum(["IPV4", "DUALSTACK"]).optional(),
  TagList: TagList.optional(),
  Mode: z.enum(["FIPS", "NON_FIPS"]).optional(),
});

export const DescribeClustersInput = z.object({
  Filters: Filters.optional(),
  NextToken: NextToken.optional(),
  MaxResults: z.number().int().min(1).max(25).optional(),
});

export const InitializeClusterInput = z.object({ ClusterId, SignedCert: Pem, TrustAnchor: Pem });

export const CreateHsmInput = z.object({
  ClusterId,
  AvailabilityZone: z.string().regex(/^[a-z]{2}(-(gov|iso[a-z]?))?-(east|west|north|south|central){1,2}-\d[a-z]$/),
  IpAddress: Ipv4.optional(),
});

export const DeleteHsmInput = z.object({
  ClusterId,
  HsmId: HsmId.optional(),
  EniId: z
    .string()
    .regex(/^eni-[0-9a-fA-F]{8,17}$/)
    .optional(),
  EniIp: Ipv4.optional(),
});

export const ClusterIdInput = z.object({ ClusterId });

export const ModifyClusterInput = z.object({ ClusterId, BackupRetentionPolicy });

export const DescribeBackupsInput = z.object({
  Filters: Filters.optional(),
  NextToken: NextToken.optional(),
  MaxResults: z.number().int().min(1).max(50).optional(),
  Shared: z.boolean().optional(),
  SortAscending: z.boolean().optional(),
});

export const BackupIdInput = z.object({ BackupId });

/** CopyBackupToRegion (API_CopyBackupToRegion.html): DestinationRegion has the Region pattern of DestinationBackup. */
export const CopyBackupToRegionInput = z.object({
  DestinationRegion: z.string().regex(/^[a-z]{2}(-(gov))?-(east|west|north|south|central){1,2}-\d$/),
  BackupId,
  TagList: TagList.optional(),
});

export const ModifyBackupAttributesInput = z.object({ BackupId, NeverExpires: z.boolean() });

const ResourceId = z.string().regex(/^(?:cluster|backup)-[2-7a-zA-Z]{11,16}$/);

export const TagResourceInput = z.object({ ResourceId, TagList });
export const UntagResourceInput = z.object({
  ResourceId,
  TagKeyList: z.array(z.string().min(1).max(128)).min(1).max(50),
});
export const ListTagsInput = z.object({
  ResourceId,
  NextToken: NextToken.optional(),
  MaxResults: z.number().int().min(1).max(100).optional(),
});
