using System.Security.Cryptography;
using System.Text;

namespace OrderFulfillment.Contracts;

/// <summary>
/// Name-based ids (RFC 9562 version 5): the same order, or order and warehouse, always gives the same id, so a redelivered
/// or repeated message finds the instance it created before instead of creating another.
/// </summary>
public static class DeterministicId
{
    static readonly Guid Namespace = new("5b0c7b6e-1f7c-4a53-9a0e-8f1d3c2a6e10");

    public static Guid ForOrder(string orderId) => Create($"order:{orderId}");

    public static Guid ForFulfillment(string orderId, string warehouseId) => Create($"fulfillment:{orderId}:{warehouseId}");

    static Guid Create(string name)
    {
        var namespaceBytes = Namespace.ToByteArray(bigEndian: true);
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[namespaceBytes.Length + nameBytes.Length];
        namespaceBytes.CopyTo(input, 0);
        nameBytes.CopyTo(input, namespaceBytes.Length);
#pragma warning disable CA5350 // SHA-1 is what version 5 UUIDs are defined with; not used for security
        var hash = SHA1.HashData(input);
#pragma warning restore CA5350
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}
