import { StepFunctionsExecutions } from "../executions";
import { sfn } from "./sfn";

/** The workflows' executions, through the instance's Step Functions client. */
export const executions = new StepFunctionsExecutions(sfn);
