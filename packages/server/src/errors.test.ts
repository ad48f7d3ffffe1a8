import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { registerErrorHandler } from "./errors.js";

describe("registerErrorHandler", () => {
  it("answers a 500 with nothing internal and tells the operator what failed, where", async () => {
    const told: Array<[string, string]> = [];
    const app = Fastify();
    registerErrorHandler(app, (error, where) => told.push([error.message, where]));
    app.get("/runs/:id", async () => {
      throw new Error("too many SQL variables");
    });
    app.get("/bad", async () => {
      throw Object.assign(new Error("no such thing"), { statusCode: 404 });
    });
    const failed = await app.inject({ method: "GET", url: "/runs/r1?x=1" });
    expect(failed.statusCode).toBe(500);
    expect(failed.json()).toEqual({ error: "internal error" });
    expect(told).toEqual([["too many SQL variables", "GET /runs/:id"]]);
    // A client's mistake is the client's to see, not the operator's.
    expect((await app.inject({ method: "GET", url: "/bad" })).statusCode).toBe(404);
    expect(told).toHaveLength(1);
    await app.close();
  });
});
