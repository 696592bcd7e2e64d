using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OrderFulfillment.OrderService.Data.Migrations
{
    /// <inheritdoc />
    public partial class OrderStatesAreStatuses : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The saga's state becomes its status (Open/Closed go): partially_shipped is the state PartiallyShipped.
            migrationBuilder.Sql(
                "UPDATE order_status SET current_state = replace(initcap(replace(status, '_', ' ')), ' ', '')");

            migrationBuilder.DropIndex(
                name: "IX_order_status_status_order_id",
                table: "order_status");

            migrationBuilder.DropColumn(
                name: "status",
                table: "order_status");

            migrationBuilder.CreateIndex(
                name: "IX_order_status_current_state_order_id",
                table: "order_status",
                columns: new[] { "current_state", "order_id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_order_status_current_state_order_id",
                table: "order_status");

            migrationBuilder.AddColumn<string>(
                name: "status",
                table: "order_status",
                type: "character varying(32)",
                maxLength: 32,
                nullable: false,
                defaultValue: "");

            migrationBuilder.Sql(
                "UPDATE order_status SET status = lower(regexp_replace(current_state, '([a-z])([A-Z])', '\\1_\\2', 'g')), " +
                "current_state = CASE WHEN current_state IN ('Delivered', 'Cancelled') THEN 'Closed' ELSE 'Open' END");

            migrationBuilder.CreateIndex(
                name: "IX_order_status_status_order_id",
                table: "order_status",
                columns: new[] { "status", "order_id" });
        }
    }
}
