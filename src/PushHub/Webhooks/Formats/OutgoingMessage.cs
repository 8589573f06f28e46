using MimeKit;

namespace PushHub.Webhooks.Formats;

/// <summary>What a format makes of an event: an HTTP request, or an email.</summary>
internal abstract class OutgoingMessage : IDisposable
{
    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>An HTTP request to send through the SSRF-guarded webhook client (which owns timeouts and redirects).</summary>
internal sealed class HttpOutgoing(HttpRequestMessage request) : OutgoingMessage
{
    public HttpRequestMessage Request { get; } = request;

    public override void Dispose()
    {
        Request.Dispose();
        base.Dispose();
    }
}

/// <summary>A MIME message and its envelope recipients, to send through the SMTP relay in <c>Email:Smtp</c>.</summary>
internal sealed class EmailOutgoing(MimeMessage message, IReadOnlyList<MailboxAddress> recipients) : OutgoingMessage
{
    public MimeMessage Message { get; } = message;

    public IReadOnlyList<MailboxAddress> Recipients { get; } = recipients;

    public override void Dispose()
    {
        Message.Dispose();
        base.Dispose();
    }
}
