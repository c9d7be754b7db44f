/**
 * Argument parsing for the CloudHSM CLI commands the local account supports (DOMAIN.md §3.4). Error messages name
 * options but never repeat option values, so a password typed in the wrong place is never echoed.
 */

export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CliError";
  }
}

type Spec = { values: string[]; multi?: string[]; flags?: string[]; required?: string[] };

export const COMMANDS = {
  // --password is optional where a password is set: without it the CLI prompts (cloudhsm_cli-cluster-activate.html,
  // cloudhsm_cli-user-create.html, cloudhsm_cli-user-change-password.html).
  "cluster activate": { values: ["password"] },
  login: { values: ["username", "role", "password"], required: ["username", "role"] },
  logout: { values: [] },
  "user list": { values: [] },
  "user create": { values: ["username", "role", "password"], required: ["username", "role"] },
  "user change-password": { values: ["username", "role", "password"], required: ["username", "role"] },
  "user delete": { values: ["username", "role"], required: ["username", "role"] },
  "key list": { values: ["max-items", "starting-token"], multi: ["filter"], flags: ["verbose"] },
  "key delete": { values: [], multi: ["filter"], required: ["filter"] },
} satisfies Record<string, Spec>;

export type CommandName = keyof typeof COMMANDS;

export type ParsedCommand = {
  name: CommandName;
  values: Record<string, string | undefined>;
  multi: Record<string, string[] | undefined>;
  flags: Set<string>;
};

export function parseArgv(argv: string[]): ParsedCommand {
  const oneWord = argv[0] === "login" || argv[0] === "logout";
  const name = (oneWord ? argv[0] : `${argv[0] ?? ""} ${argv[1] ?? ""}`) as string;
  if (!(name in COMMANDS)) {
    const group = Object.keys(COMMANDS).filter((c) => c.startsWith(`${argv[0]} `));
    throw new CliError(
      group.length > 0
        ? `Unknown ${argv[0]} command; use ${group.join(", ")}. Run cloudhsm-cli --help for the supported commands`
        : "Unknown command. Run cloudhsm-cli --help for the supported commands",
    );
  }
  const command = name as CommandName;
  const spec: Spec = COMMANDS[command];
  const parsed: ParsedCommand = { name: command, values: {}, multi: {}, flags: new Set() };
  const rest = argv.slice(oneWord ? 1 : 2);
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i] as string;
    if (token === "-v") {
      if (!spec.flags?.includes("verbose")) throw new CliError(`Unexpected argument '-v' for '${command}'`);
      parsed.flags.add("verbose");
      continue;
    }
    if (!token.startsWith("--")) {
      throw new CliError(`Unexpected positional argument for '${command}'`);
    }
    const eq = token.indexOf("=");
    const option = token.slice(2, eq === -1 ? undefined : eq);
    const inline = eq === -1 ? undefined : token.slice(eq + 1);
    if (spec.flags?.includes(option)) {
      parsed.flags.add(option);
    } else if (spec.values.includes(option)) {
      const value = inline ?? rest[++i];
      if (value === undefined) throw new CliError(`--${option} requires a value`);
      parsed.values[option] = value;
    } else if (spec.multi?.includes(option)) {
      const values = inline !== undefined ? [inline] : [];
      while (i + 1 < rest.length && !(rest[i + 1] as string).startsWith("--") && rest[i + 1] !== "-v") {
        values.push(rest[++i] as string);
      }
      if (values.length === 0) throw new CliError(`--${option} requires a value`);
      parsed.multi[option] = [...(parsed.multi[option] ?? []), ...values];
    } else {
      throw new CliError(`Unexpected argument '--${option.replace(/[^a-z0-9-]/gi, "")}' for '${command}'`);
    }
  }
  for (const option of spec.required ?? []) {
    if (parsed.values[option] === undefined && parsed.multi[option] === undefined) {
      throw new CliError(`--${option} is required for '${command}'`);
    }
  }
  return parsed;
}

export const ROLES = ["admin", "crypto-user"] as const;
export type CliRole = (typeof ROLES)[number];

export function parseRole(role: string | undefined, source: string): CliRole {
  if (role === undefined || role === "") throw new CliError(`${source} is required: admin or crypto-user`);
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new CliError(`Invalid ${source} '${role.replace(/[^a-zA-Z0-9_-]/g, "")}': use admin or crypto-user`);
  }
  return role as CliRole;
}
