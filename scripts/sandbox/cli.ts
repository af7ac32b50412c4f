// npm run sandbox -- …: the sandbox host from a shell (and for tests of the CLI itself). Needs root, except list.
import { clean, create, destroySandbox, listSandboxes } from "./sandbox";

const USAGE = `usage: npm run sandbox -- create [--sudo-user]   make a sandbox host; prints its connection as one JSON object
       npm run sandbox -- destroy NAME           remove sandbox NAME (idempotent)
       npm run sandbox -- list                   one sandbox name per line
       npm run sandbox -- clean                  remove every sandbox no running process is using (those made
                                                 by create, leftovers of killed runs), and the vnsudo user and
                                                 sudoers drop-in that older versions added to /etc
`;

class UsageError extends Error {}

async function main(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  const expect = (ok: boolean) => {
    if (!ok) throw new UsageError();
  };
  switch (command) {
    case "create":
      expect(rest.every((a) => a === "--sudo-user"));
      process.stdout.write(`${JSON.stringify(await create({ sudoUser: rest.length > 0 }))}\n`);
      return;
    case "destroy":
      expect(rest.length === 1);
      destroySandbox(rest[0]!);
      return;
    case "list":
      expect(rest.length === 0);
      for (const name of listSandboxes()) process.stdout.write(`${name}\n`);
      return;
    case "clean":
      expect(rest.length === 0);
      const { removed, kept } = clean();
      for (const what of removed) process.stderr.write(`removed ${what}\n`);
      for (const what of kept) process.stderr.write(`kept ${what}\n`);
      return;
    default:
      throw new UsageError();
  }
}

main(process.argv.slice(2)).catch((e: Error) => {
  if (e instanceof UsageError) {
    process.stderr.write(USAGE);
    process.exit(2);
  }
  process.stderr.write(`sandbox: error: ${e.message}\n`);
  process.exit(1);
});
