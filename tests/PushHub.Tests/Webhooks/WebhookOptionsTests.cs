using Microsoft.Extensions.Options;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Webhooks;

public sealed class WebhookOptionsTests
{
    [Theory]
    [InlineData("Webhooks:TimeoutSeconds", "0", "TimeoutSeconds")]
    [InlineData("Webhooks:RetrySchedule:0", "-00:00:05", "Webhooks:RetrySchedule")]
    [InlineData("Webhooks:SecretGracePeriod", "-01:00:00", "Webhooks:SecretGracePeriod")]
    [InlineData("Webhooks:MaxConcurrentPerEndpoint", "0", "MaxConcurrentPerEndpoint")]
    // A claim must outlast its attempt (10 s by default) with room to record it.
    [InlineData("Webhooks:LeaseDuration", "00:00:15", "Webhooks:LeaseDuration must be at least Webhooks:TimeoutSeconds + 10 s")]
    public void Bad_settings_stop_the_hub_at_start_naming_the_key(string key, string value, string named)
    {
        using var hub = new HubFactory(new Dictionary<string, string?> { [key] = value });
        var error = Assert.Throws<OptionsValidationException>(() => hub.CreateClient());
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }
}
