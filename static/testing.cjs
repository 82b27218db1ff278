// The test helpers for require(): Node.js 20.19 and later load the ES
// module synchronously, so CommonJS code gets the same exports.
module.exports = require("./testing.js");
