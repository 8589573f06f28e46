using PushHub.Storage;

namespace PushHub.Tests.Storage.Specs;

/// <summary>A fresh, empty store of one provider, as a spec suite works with it: its three seams, and how to throw it away.</summary>
public sealed class StoreUnderTest(IPollingStore events, IWebhookStore webhooks, IClusterLeases leases, Func<ValueTask> dispose) : IAsyncDisposable
{
    public IPollingStore Events { get; } = events;

    public IWebhookStore Webhooks { get; } = webhooks;

    public IClusterLeases Leases { get; } = leases;

    public ValueTask DisposeAsync() => dispose();
}
