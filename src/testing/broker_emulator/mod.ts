/**
 * Linux identity broker emulator for tests: serves `com.microsoft.identity.broker1` on a
 * private D-Bus session bus so the real MSALRuntime can sign in without a network or tenant,
 * with faults injected through an HTTP control API.
 *
 * @example
 * ```ts
 * import { BrokerEmulator } from "@entra-auth/core/testing/broker-emulator"; // npm: "entra-auth-testing/broker-emulator"
 * const emulator = await BrokerEmulator.start({ logFile: "/tmp/broker.jsonl" });
 * console.log(emulator.controlUrl);
 * await emulator.close();
 * ```
 *
 * @module
 */

export {
  accountJson,
  BROKER_METHODS,
  brokerError,
  EMULATED_BROKER_VERSION,
  EmulatedBroker,
  type UserState,
} from "./broker.ts";
export { type ControlServer, startControlServer } from "./control_server.ts";
export {
  type CallOptions,
  DBusConnection,
  DBusError,
  type MethodCallHandler,
  socketPathFromAddress,
} from "./dbus_connection.ts";
export {
  completeTypeEnd,
  DBusReader,
  DBusWriter,
  splitSignature,
  type Variant,
} from "./dbus_marshal.ts";
export {
  type DBusMessage,
  decodeMessage,
  encodeMessage,
  messageLength,
  MessageType,
  NO_REPLY_EXPECTED,
} from "./dbus_message.ts";
export {
  BROKER_BUS_NAME,
  BROKER_INTERFACE,
  BROKER_OBJECT_PATH,
  BrokerEmulator,
  type BrokerEmulatorOptions,
} from "./emulator.ts";
export {
  type BrokerErrorFields,
  type FaultAction,
  FaultQueue,
  type FaultSpec,
  parseFaultSpec,
  type QueuedFault,
} from "./faults.ts";
export { type LoggedReply, RequestLog, type RequestLogEntry } from "./request_log.ts";
export {
  base64url,
  clientInfoFor,
  decodeJwtPayload,
  type MintedTokens,
  type MintRequest,
  type PopBinding,
  type PublicJwk,
  TokenMinter,
} from "./tokens.ts";
export {
  DEFAULT_TENANT_ID,
  DEFAULT_USERS,
  type EmulatedUser,
  type EmulatedUserConfig,
  resolveUsers,
} from "./users.ts";
