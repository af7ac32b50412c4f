// A provider process for the safe-apply test to kill between a risky change and its confirmation: it creates, over
// SSH, the route the test passes in (JSON in VIRTNET_CHILD_ROUTE), and prints "applying" just before.
import { staticRoute } from "../../provider";

async function main(): Promise<void> {
  const inputs = JSON.parse(process.env.VIRTNET_CHILD_ROUTE ?? "{}") as Record<string, unknown>;
  const checked = await staticRoute.check({}, inputs);
  process.stdout.write("applying\n");
  await staticRoute.create(checked.inputs);
  process.stdout.write("done\n");
}

main().catch((e: Error) => {
  process.stdout.write(`failed: ${e.message}\n`);
  process.exit(1);
});
