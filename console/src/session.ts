// Who is signed in: the clients signed with their token, and what GetServerStatus said about
// them. Views read scopes from here to offer only the actions the caller may take; the server
// refuses the others anyway.
import { createContext } from "preact";
import { useContext } from "preact/hooks";

import type { Api } from "./api.js";
import type { GetServerStatusResponse } from "./gen.js";

export interface Session {
  api: Api;
  status: GetServerStatusResponse;
  signOut: () => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a signed-in page");
  return session;
}

/** Whether the caller holds `scope` ("admin" holds every scope). */
export function may(session: Session, scope: string): boolean {
  return session.status.scopes.includes(scope) || session.status.scopes.includes("admin");
}
