// Lets CloudFormation name every table it retains. A retained table outlives its stack (CloudFormation User Guide,
// DeletionPolicy attribute: Retain keeps the resource when the stack is deleted), and table names are unique per
// account and Region (DynamoDB API Reference, CreateTable: ResourceInUseException), so a fixed TableName makes the
// next deploy of the same stage fail on the table left behind. serverless.yml keeps the readable name for the local
// runtime, which reads it from `osls print`; at package time this plugin drops it and hands the functions
// CloudFormation's name (Ref) wherever their environment held the fixed one. It runs after osls merges the resources
// of serverless.yml into the template (aws:package:finalize:mergeCustomProviderResources) and before it is saved.
"use strict";

class RetainedTableNames {
  constructor(serverless) {
    this.hooks = {
      "before:aws:package:finalize:saveServiceState": () => {
        const resources = serverless.service.provider.compiledCloudFormationTemplate.Resources;
        const byName = new Map();
        for (const [id, resource] of Object.entries(resources)) {
          if (resource.Type !== "AWS::DynamoDB::Table" || resource.DeletionPolicy !== "Retain") continue;
          const name = resource.Properties?.TableName;
          if (typeof name !== "string") continue;
          byName.set(name, id);
          delete resource.Properties.TableName;
        }
        for (const resource of Object.values(resources)) {
          if (resource.Type !== "AWS::Lambda::Function") continue;
          const variables = resource.Properties?.Environment?.Variables ?? {};
          for (const [key, value] of Object.entries(variables)) {
            if (byName.has(value)) variables[key] = { Ref: byName.get(value) };
          }
        }
      },
    };
  }
}

module.exports = RetainedTableNames;
