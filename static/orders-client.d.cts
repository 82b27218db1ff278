// The types of orders-client.cjs: those of the ES module it loads.
export * from "./orders-client.js";
