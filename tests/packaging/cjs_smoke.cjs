// Loaded with require(), as a CommonJS server would: prints one hash for the test to check.
const { normalize, hashUserDataBatch } = require("omni-meta-capi");
const batch = hashUserDataBatch([{ em: "John_Smith@gmail.com" }]);
process.stdout.write(JSON.stringify({ single: normalize("fn", "Valéry").hash, batch: batch[0].userData.em[0] }));
