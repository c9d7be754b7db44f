// Lets CloudFormation name every IAM role. serverless-iam-roles-per-function names each function's role
// <service>-<stage>-<function>-<region>[-lambdaRole], which passes IAM's 64-character limit only for short stages and
// Regions (production in ap-southeast-2 fails). Without RoleName, CloudFormation generates a unique name that fits
// (CloudFormation User Guide, AWS::IAM::Role, RoleName: "If you don't specify a name, AWS CloudFormation generates a
// unique physical ID and uses that ID for the role name"; IAM User Guide, IAM and AWS STS quotas: role names up to 64
// characters). Listed after the roles plugin in serverless.yml, so its finalize hook runs after the roles exist; the
// plugin refuses long names before that hook, so each function first gets a placeholder name that is then dropped.
"use strict";

const PLACEHOLDER = "named-by-cloudformation";

class GeneratedRoleNames {
  constructor(serverless) {
    this.hooks = {
      "after:package:compileEvents": () => {
        for (const name of serverless.service.getAllFunctions()) {
          const fn = serverless.service.getFunction(name);
          if (fn.iamRoleStatements && !fn.iamRoleStatementsName) fn.iamRoleStatementsName = PLACEHOLDER;
        }
      },
      "before:package:finalize": () => {
        const resources = serverless.service.provider.compiledCloudFormationTemplate.Resources;
        for (const resource of Object.values(resources)) {
          if (resource.Type === "AWS::IAM::Role" && resource.Properties) delete resource.Properties.RoleName;
        }
      },
    };
  }
}

module.exports = GeneratedRoleNames;
