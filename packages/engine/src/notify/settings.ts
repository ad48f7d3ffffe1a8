import type { NotifyEntry } from "@gantry/core";

/** How e-mail leaves: an SMTP server. The password may be a secret reference, resolved per send. */
export interface SmtpSettings {
  host: string;
  port?: number;
  secure?: boolean;
  user?: string;
  password?: string;
  from: string;
}

/** gantry.yaml's side of notifications: defaults for every workflow, SMTP, and where links point. */
export interface NotifySettings {
  defaults: NotifyEntry[];
  smtp?: SmtpSettings;
  /** server.public_url: links in messages lead to `<publicUrl>/runs/<id>`. */
  publicUrl?: string;
  /** Where relative secret references (ref+file://, ref+sops://) resolve: gantry.yaml's folder. */
  baseDir: string;
}
