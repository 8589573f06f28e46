using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace PushHub.WebSockets;

/// <summary>
/// Wraps a SignalR hub protocol so that a whole message of a type it does not know is skipped instead of stalling
/// the connection. The JSON and MessagePack protocols answer such a message with "no message" while having read
/// past it, and the server's receive loop (bounded by <c>MaximumReceiveMessageSize</c>) then keeps it at the head
/// of its buffer: every later message of that connection waits behind it forever. Reporting it as a ping (which
/// the hub ignores) lets the loop move on, as the protocols' own "old peers ignore new message types" intends.
/// </summary>
public sealed class UnknownMessageTolerantProtocol(IHubProtocol inner) : IHubProtocol
{
    public string Name => inner.Name;

    public int Version => inner.Version;

    public TransferFormat TransferFormat => inner.TransferFormat;

    public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message)
    {
        var start = input.Start;
        if (inner.TryParseMessage(ref input, binder, out message))
        {
            return true;
        }
        if (input.Start.Equals(start))
        {
            // Not a whole message yet: wait for more bytes.
            return false;
        }
        message = PingMessage.Instance;
        return true;
    }

    public void WriteMessage(HubMessage message, IBufferWriter<byte> output) => inner.WriteMessage(message, output);

    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) => inner.GetMessageBytes(message);

    public bool IsVersionSupported(int version) => inner.IsVersionSupported(version);

    /// <summary>Replaces every registered <see cref="IHubProtocol"/> with itself wrapped around the original.</summary>
    public static void WrapRegisteredProtocols(IServiceCollection services)
    {
        var registered = services.Where(descriptor => descriptor.ServiceType == typeof(IHubProtocol)).ToList();
        foreach (var descriptor in registered)
        {
            services.Remove(descriptor);
            var type = descriptor.ImplementationType
                ?? throw new InvalidOperationException($"hub protocol registered without a type: {descriptor}");
            services.AddSingleton<IHubProtocol>(provider =>
                new UnknownMessageTolerantProtocol((IHubProtocol)ActivatorUtilities.CreateInstance(provider, type)));
        }
    }
}
