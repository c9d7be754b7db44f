/** dynalite ships no types; this is the part the runtime uses. */
declare module "dynalite" {
  import type { Server } from "node:http";
  export default function dynalite(options?: {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
  }): Server;
}
