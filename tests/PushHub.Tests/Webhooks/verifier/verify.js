// Verifies PushHub webhook deliveries with the Standard Webhooks reference library.
// Usage: node verify.js <deliveries.json>, where the file holds
//   {"secret": "whsec_...", "deliveries": [{"headers": {"webhook-id": ...}, "body": "<event JSON>"}]}
// Prints one line per delivery ("ok <webhook-id>" or "fail <webhook-id> <reason>") and exits 1 if any failed.
const fs = require("fs");
const { Webhook } = require("standardwebhooks");

const input = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const webhook = new Webhook(input.secret);
let failed = 0;
for (const delivery of input.deliveries) {
  const id = delivery.headers["webhook-id"];
  try {
    webhook.verify(delivery.body, delivery.headers);
    console.log(`ok ${id}`);
  } catch (error) {
    failed++;
    console.log(`fail ${id} ${error.message}`);
  }
}
process.exit(failed ? 1 : 0);
