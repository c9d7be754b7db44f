// An alarm for every EventBridge rule of the stack on events it dropped: those it could not deliver and could not
// put in the rule's dead-letter queue either (InvocationsFailedToBeSentToDlq: "permissions errors, unavailable
// resources, or size limits"), and those that failed permanently (FailedInvocations), so nothing is lost without a
// notification while the queue's depth alarm covers what the queue kept. Metrics with only the RuleName dimension
// are the default bus's, where every rule of the stack is (EventBridge User Guide, eb-monitoring). Derived from the
// compiled rules, so a rule added in serverless.yml gets its alarm without a second list to keep.
"use strict";

const PERIOD = 300;

/** The logical id of the alarm of rule `ruleId`. */
const alarmId = (ruleId) => `${ruleId}DroppedEventsAlarm`;

/** A rule's name as its metrics carry it. Every rule is named in serverless.yml: a generated one would need Ref. */
function ruleName(id, rule) {
  const name = rule.Properties?.Name;
  if (typeof name !== "string") throw new Error(`rule ${id} has no Name: name it in serverless.yml for its alarm`);
  return name;
}

function droppedEventsAlarm(id, rule, topicId) {
  const metric = (metricId, metricName) => ({
    Id: metricId,
    MetricStat: {
      Metric: {
        Namespace: "AWS/Events",
        MetricName: metricName,
        Dimensions: [{ Name: "RuleName", Value: ruleName(id, rule) }],
      },
      Period: PERIOD,
      Stat: "Sum",
    },
    ReturnData: false,
  });
  return {
    Type: "AWS::CloudWatch::Alarm",
    Properties: {
      AlarmDescription: `EventBridge dropped events of rule ${id}: not delivered and not in its dead-letter queue (docs/runbook.md)`,
      Metrics: [
        metric("failed", "FailedInvocations"),
        metric("notQueued", "InvocationsFailedToBeSentToDlq"),
        // EventBridge sends these metrics only when they are not zero (eb-monitoring): a period without one is 0.
        {
          Id: "dropped",
          Expression: "FILL(failed, 0) + FILL(notQueued, 0)",
          Label: "Events dropped",
          ReturnData: true,
        },
      ],
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      TreatMissingData: "notBreaching",
      AlarmActions: [{ Ref: topicId }],
    },
  };
}

/**
 * Adds to `resources` (a compiled template's) the alarm of every rule in it and in `more` (serverless.yml's own
 * `resources`, merged into the template only after this plugin's hook), notifying `topicId`.
 */
function addRuleAlarms(resources, topicId, more = {}) {
  for (const [id, resource] of [...Object.entries(resources), ...Object.entries(more)]) {
    if (resource?.Type === "AWS::Events::Rule") resources[alarmId(id)] = droppedEventsAlarm(id, resource, topicId);
  }
}

class RuleAlarms {
  constructor(serverless) {
    this.hooks = {
      "before:package:finalize": () =>
        addRuleAlarms(
          serverless.service.provider.compiledCloudFormationTemplate.Resources,
          "AlarmTopic",
          serverless.service.resources?.Resources ?? {},
        ),
    };
  }
}

module.exports = RuleAlarms;
module.exports.addRuleAlarms = addRuleAlarms;
