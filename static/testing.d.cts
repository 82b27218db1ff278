// The types of testing.cjs: those of the ES module it loads.
export * from "./testing.js";
