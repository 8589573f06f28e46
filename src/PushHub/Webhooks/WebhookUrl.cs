using PushHub.Hub;

namespace PushHub.Webhooks;

/// <summary>The checks every HTTP destination URL passes at registration, whatever its format.</summary>
internal static class WebhookUrl
{
    public const int MaxLength = 2048;

    /// <summary>
    /// <paramref name="text"/> as an absolute http(s) URL without user info, outside private networks unless
    /// <paramref name="allowPrivateNetworks"/>; otherwise null, with the reason under <c>url</c>. The error never
    /// repeats the URL, which may hold a token.
    /// </summary>
    public static Uri? ReadHttp(string text, bool allowPrivateNetworks, ValidationErrors errors)
    {
        if (text.Length > MaxLength || !Uri.TryCreate(text, UriKind.Absolute, out var url)
            || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps) || url.Host.Length == 0)
        {
            errors.Add("url", $"must be an absolute http or https URL of at most {MaxLength} characters");
            return null;
        }
        if (!string.IsNullOrEmpty(url.UserInfo))
        {
            errors.Add("url", "must not carry a user name or password");
            return null;
        }
        if (!allowPrivateNetworks && SsrfGuard.Check(url) is { } reason)
        {
            errors.Add("url", reason);
            return null;
        }
        return url;
    }
}
