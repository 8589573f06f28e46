using PushHub.Observability;

namespace PushHub.Webhooks.Formats;

/// <summary>Registers the notification formats, the email relay's options and transport, the pacer and the sender.</summary>
internal static class FormatServiceCollectionExtensions
{
    public static IServiceCollection AddNotificationFormats(this IServiceCollection services)
    {
        services.AddValidatedOptions<EmailOptions>(EmailOptions.Section);
        services.AddSingleton<NotificationFormat, StandardFormat>();
        services.AddSingleton<NotificationFormat, SlackFormat>();
        services.AddSingleton<NotificationFormat, DiscordFormat>();
        services.AddSingleton<NotificationFormat, TeamsFormat>();
        services.AddSingleton<NotificationFormat, TelegramFormat>();
        services.AddSingleton<NotificationFormat, PagerDutyFormat>();
        services.AddSingleton<NotificationFormat, EmailFormat>();
        services.AddSingleton<NotificationFormats>();
        services.AddSingleton<DeliveryPacer>();
        services.AddSingleton<IEmailTransport, SmtpEmailTransport>();
        services.AddSingleton<NotificationSender>();
        return services;
    }
}
