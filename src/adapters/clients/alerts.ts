import { config } from "../../config";
import { EventBridgeAlerts } from "../alerts";
import { eventbridge } from "./eventbridge";

/** The operators' alerts, on the alert bus (ALERT_BUS_NAME). */
export const alerts = new EventBridgeAlerts(eventbridge, config.ALERT_BUS_NAME);
