namespace OrderFulfillment.Contracts;

/// <summary>AMQP headers this system adds to a message kept in an error queue (docs/messages.md, "Error queues").</summary>
public static class ContractHeaders
{
    /// <summary>The exchange the message first arrived through: what a plain-JSON message is, once it is replayed from an error queue.</summary>
    public const string OriginalExchange = "OF-Original-Exchange";

    /// <summary>How often an operator replayed the message from an error queue.</summary>
    public const string ReplayCount = "OF-Replay-Count";
}
