import { config } from "../../config";
import { EventBridgeStoreEvents } from "../store-events";
import { eventbridge } from "./eventbridge";

/** The product's `Key Store State Change` events, on the alert bus (ALERT_BUS_NAME, the default bus). */
export const storeEvents = new EventBridgeStoreEvents(eventbridge, config.ALERT_BUS_NAME);
