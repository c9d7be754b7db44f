import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import type { ClusterUser, UserRole } from "./model";

/** CloudHSM locks a user after 5 failed logins (DOMAIN.md §2.1, §6). */
export const MAX_FAILED_LOGINS = 5;

/** CloudHSM passwords are 8–32 characters and cannot contain ':' (DOMAIN.md §3.4, §6). */
export function passwordProblem(password: string): string | undefined {
  if (password.length < 8 || password.length > 32) return "Password must be 8 to 32 characters";
  if (password.includes(":")) return "Password cannot contain ':'";
  return undefined;
}

/** Usernames: up to 31 characters, letters, digits and '_'; compared case-insensitively. */
export function usernameProblem(username: string): string | undefined {
  if (!/^[A-Za-z0-9_]{1,31}$/.test(username)) return "Username must be 1 to 31 letters, digits or '_'";
  return undefined;
}

export function hashPassword(password: string): { salt: string; passwordHash: string } {
  const salt = randomBytes(16).toString("hex");
  return { salt, passwordHash: scryptSync(password, salt, 32).toString("hex") };
}

export function newUser(username: string, role: UserRole, password: string): ClusterUser {
  return {
    username: username.toLowerCase(),
    role,
    ...hashPassword(password),
    failedLogins: 0,
    locked: false,
    sessions: 0,
  };
}

export function findUser(users: ClusterUser[], username: string): ClusterUser | undefined {
  return users.find((u) => u.username === username.toLowerCase());
}

export type LoginResult = "ok" | "no-such-user" | "locked" | "bad-password";

/**
 * Checks a password and applies CloudHSM's lock-out rule. Mutates `user` (failed-login count, lock);
 * the caller persists the cluster record. A right password does not reset the count: "If you exceed five incorrect
 * login attempts, your account is locked out" (CloudHSM User Guide, "loginHSM and logoutHSM") says nothing of a reset
 * on success, so the less convenient case holds; only a password change clears it (setPassword).
 */
export function checkPassword(user: ClusterUser | undefined, password: string): LoginResult {
  if (!user) return "no-such-user";
  if (user.locked) return "locked";
  const expected = Buffer.from(user.passwordHash, "hex");
  const actual = scryptSync(password, user.salt, 32);
  if (expected.length === actual.length && timingSafeEqual(expected, actual)) return "ok";
  user.failedLogins += 1;
  if (user.failedLogins >= MAX_FAILED_LOGINS) user.locked = true;
  return "bad-password";
}

export function setPassword(user: ClusterUser, password: string): void {
  Object.assign(user, hashPassword(password), { failedLogins: 0, locked: false });
}
