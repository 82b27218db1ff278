// The types of protocol.gen.cjs: those of the ES module it loads.
export * from "./protocol.gen.js";
