using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;

namespace PushHub.Webhooks.Formats;

/// <summary>Sends an <see cref="EmailOutgoing"/> and says what the server answered.</summary>
internal interface IEmailTransport
{
    /// <summary>The SMTP reply as a <see cref="DeliveryAnswer"/>: its code as the status (250 when accepted), its text as the body.</summary>
    Task<DeliveryAnswer> SendAsync(EmailOutgoing email, CancellationToken cancellationToken);
}

/// <summary>
/// MailKit's <see cref="SmtpClient"/> on the relay in <c>Email:Smtp</c>: one connection per message (notifications
/// are few, and a connection held open would have to survive the relay's idle timeout).
/// </summary>
internal sealed class SmtpEmailTransport(IOptions<EmailOptions> options, IOptions<WebhookOptions> webhooks) : IEmailTransport
{
    private readonly EmailOptions _options = options.Value;

    public async Task<DeliveryAnswer> SendAsync(EmailOutgoing email, CancellationToken cancellationToken)
    {
        var smtp = _options.Smtp;
        if (!_options.Enabled)
        {
            return DeliveryAnswer.NoAnswer("email is not set up: Email:Smtp:Host is empty");
        }
        using var client = new SmtpClient { Timeout = webhooks.Value.TimeoutSeconds * 1000 };
        try
        {
            await client.ConnectAsync(smtp.Host!, smtp.Port, Security(smtp.Security), cancellationToken);
            if (!string.IsNullOrEmpty(smtp.Username))
            {
                await client.AuthenticateAsync(smtp.Username, smtp.Password ?? "", cancellationToken);
            }
            var sender = email.Message.From.Mailboxes.First();
            var reply = await client.SendAsync(email.Message, sender, email.Recipients, cancellationToken);
            await client.DisconnectAsync(quit: true, cancellationToken);
            return new DeliveryAnswer(250, reply);
        }
        catch (SmtpCommandException exception)
        {
            return new DeliveryAnswer((int)exception.StatusCode, exception.Message);
        }
        catch (AuthenticationException exception)
        {
            // 535: the relay refused the credentials. Permanent until Email:Smtp is fixed; the password is not in the text.
            return new DeliveryAnswer(535, "authentication failed: " + exception.Message);
        }
        catch (Exception exception) when (exception is SmtpProtocolException or IOException or SocketException or SslHandshakeException
                                              or ServiceNotConnectedException or NotSupportedException
                                              || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return DeliveryAnswer.NoAnswer($"SMTP {smtp.Host}:{smtp.Port}: {exception.Message}");
        }
    }

    private static SecureSocketOptions Security(SmtpSecurity security) => security switch
    {
        SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
        SmtpSecurity.None => SecureSocketOptions.None,
        _ => SecureSocketOptions.StartTls,
    };
}
